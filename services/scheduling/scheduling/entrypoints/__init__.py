"""The edge where messages come in."""
