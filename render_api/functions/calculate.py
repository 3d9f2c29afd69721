"""Render functions: calculate (being written)."""
