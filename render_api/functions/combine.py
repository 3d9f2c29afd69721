"""Render functions: combine (being written)."""
