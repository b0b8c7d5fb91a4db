"""Production planning: capacitated lot sizing with QC lead time, shelf life and fair allocation, on HiGHS."""
