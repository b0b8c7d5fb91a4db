"""Run benchmarks: `python -m benchmarks [NAME ...]` (default: all), results as JSON."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

from benchmarks.machine import describe

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help="benchmark names (bench_NAME.py); default all")
    parser.add_argument("--benchdata", default="../shared/benchdata", help="benchmark data folder")
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    args = parser.parse_args()
    available = sorted(
        m.name[len("bench_") :]
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    names = args.names or available
    unknown = set(names) - set(available)
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(sorted(unknown))}; have {available}", file=sys.stderr
        )
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            result = module.run(args)
        except Exception as exc:
            print(f"   FAILED: {exc.__class__.__name__}: {exc}", file=sys.stderr)
            failed += 1
            continue
        result = {"benchmark": name, "machine": describe(), **result}
        result["total_wall_seconds"] = round(time.perf_counter() - started, 3)
        out = RESULTS / f"{name}.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"   wrote {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
