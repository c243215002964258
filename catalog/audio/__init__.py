"""Audio analysis and synthesis on numpy arrays and files (no Django)."""
