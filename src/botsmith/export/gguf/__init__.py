"""GGUF writing in Python: architectures, tokenizer metadata, tensor layout, verification."""
