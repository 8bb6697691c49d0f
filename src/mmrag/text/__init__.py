"""Language handling shared by every stage: sentence splitting, BM25 tokens, chunking."""
