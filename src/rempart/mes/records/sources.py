"""QC results and release decisions, read from the qc app's facts module.

`rempart.mes.qc.facts` is the single source for what the batch record shows of QC and
release: `qc_results_table(batch)` (one row per sample × test), `release_decisions(batch)`
(audit-trail reviews, release or rejection, each with its signature) and
`release_checklist(batch)` (the domain's `BlockingReason` list). This module only turns them
into plain JSON-able data.
"""

from __future__ import annotations

from typing import Any

from rempart.mes.batches.models import Batch
from rempart.mes.qc import facts


def _table(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{str(k): "" if v is None else str(v) for k, v in row.items()} for row in rows]


def qc_results(batch: Batch) -> list[dict[str, str]]:
    """One row per QC sample and test, column name → text."""
    return _table(facts.qc_results_table(batch))


def release_decisions(batch: Batch) -> list[dict[str, str]]:
    """The audit-trail reviews and the release or rejection decisions."""
    return _table(facts.release_decisions(batch))


def release_checklist(batch: Batch) -> list[dict[str, Any]]:
    """Every reason the batch cannot be released now (code, message, items)."""
    return [
        {
            "code": str(reason.code),
            "message": reason.message,
            "items": [str(item) for item in reason.items],
        }
        for reason in facts.release_checklist(batch)
    ]
