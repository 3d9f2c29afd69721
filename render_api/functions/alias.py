"""Render functions: alias (being written)."""
