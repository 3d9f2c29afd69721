"""Render functions: transform (being written)."""
