"""The generation engine: pure functions on numpy arrays (no Django imports)."""
