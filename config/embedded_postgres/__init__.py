"""A PostgreSQL database backend that starts the embedded server on its first connection."""
