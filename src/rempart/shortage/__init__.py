"""Shortage watch: BDPM/ANSM readers, coverage and alerts (no Django)."""
