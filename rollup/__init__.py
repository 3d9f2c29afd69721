"""Retention levels and exact downsampling."""
