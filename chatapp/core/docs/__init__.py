"""Chat with your documents: extract, chunk, index and search local files."""
