"""Describe the machine a benchmark ran on."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: The repository: git is asked about it wherever the benchmarks are started from.
ROOT = Path(__file__).resolve().parent.parent
#: What makes a result (git pathspecs): the code and its pins, not the docs, and not the
#: results folder, which the benchmarks themselves rewrite.
CODE = ("src", "benchmarks", ":!benchmarks/results", "pyproject.toml", "uv.lock")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _git_commit() -> str:
    """HEAD's short hash, with "+uncommitted" when tracked code (`CODE`) differs from it."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
        commit = out.stdout.strip()
        if not commit:
            return "unknown"
        changed = subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                *CODE,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return f"{commit}+uncommitted" if changed.stdout.strip() else commit
    except OSError:
        return "unknown"


def describe() -> dict[str, Any]:
    return {
        "when_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": _git_commit(),
    }
