"""Electronic signatures bound to the content they sign."""
