"""Storage: the manifest, the database (all SQL), the index directory and its generations, the build."""
