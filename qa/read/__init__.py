"""Reading: files into Documents (text, formats, web debris, citation metadata), Documents into Passages."""
