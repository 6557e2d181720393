"""The bank's policy corpus, its chunking and embeddings, and the vector stores behind one interface."""
