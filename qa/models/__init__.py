"""Models: the embedding model behind the Embedder protocol, its backends, and the ONNX int8 export."""
