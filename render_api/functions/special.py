"""Render functions: special (being written)."""
