"""QC results and release decisions, read from the qc app's facts module.

`rempart.mes.qc.facts` is the QC and release side's single source for what the batch record
shows of them: `qc_results_table(batch)`, `release_decisions(batch)` and
`release_checklist(batch)` (the domain's `BlockingReason` list). This adapter keeps the batch
record working while any of them is absent: the section is then present and empty, with
`available: false`, so a reader sees that nothing could be read rather than "no results".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from rempart.mes.batches.models import Batch

FACTS_MODULE = "rempart.mes.qc.facts"


def _facts() -> ModuleType | None:
    try:
        return importlib.import_module(FACTS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name in (FACTS_MODULE, "rempart.mes.qc"):
            return None
        raise


def _function(name: str) -> Callable[[Batch], Any] | None:
    module = _facts()
    found = getattr(module, name, None) if module is not None else None
    return found if callable(found) else None


def _table(rows: Any) -> list[dict[str, str]]:
    return [{str(k): "" if v is None else str(v) for k, v in dict(row).items()} for row in rows]


def qc_results(batch: Batch) -> tuple[bool, list[dict[str, str]]]:
    """(available, rows): one row per QC test result, column name → text."""
    read = _function("qc_results_table")
    return (False, []) if read is None else (True, _table(read(batch)))


def release_decisions(batch: Batch) -> tuple[bool, list[dict[str, str]]]:
    """(available, rows): the audit-trail reviews and release or rejection decisions."""
    read = _function("release_decisions")
    return (False, []) if read is None else (True, _table(read(batch)))


def release_checklist(batch: Batch) -> tuple[bool, list[dict[str, Any]]]:
    """(available, reasons): every reason the batch cannot be released now (code, message,
    items), from the domain's release checklist."""
    read = _function("release_checklist")
    if read is None:
        return False, []
    return True, [
        {
            "code": str(reason.code),
            "message": str(reason.message),
            "items": [str(item) for item in reason.items],
        }
        for reason in read(batch)
    ]
