"""Reading a music folder: walking it safely and reading each file's tags (no Django)."""
