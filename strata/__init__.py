"""Strata: a Graphite-compatible time-series store (command line and configuration)."""
