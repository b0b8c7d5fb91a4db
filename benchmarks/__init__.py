"""Reproducible benchmarks. `make bench` runs every `bench_*.py` module here.

Each module defines `run(args) -> dict` and writes nothing itself; the runner adds the machine
description and writes `benchmarks/results/<name>.json`. Timings are never asserted in the
test suite: these machines are noisy, so compare ratios measured within one run.
"""
