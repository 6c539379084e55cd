"""Ranking maths: BM25, fusion, FAISS by corpus size, de-duplication, confidence, sentence evidence, conflicts."""
