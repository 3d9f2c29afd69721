"""Render functions: filters (being written)."""
