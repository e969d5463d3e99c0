"""Numeric checks of every claim, one module per theme; importing this package registers them."""
