"""Production planning on HiGHS: lot sizing with QC lead time, shelf life, fair allocation.

problem -> model -> solve -> plan; io (JSON, Trigeiro .DAT); rationing (PPA). docs/planning.md.
"""
