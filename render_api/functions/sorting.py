"""Render functions: sorting (being written)."""
