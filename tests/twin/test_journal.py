"""The journal: gap-free, strictly increasing, canonical, replay-identical for a seed."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from pathlib import Path

import pytest

from rempart.twin.errors import TwinError
from rempart.twin.journal import JournalEntry, Kind
from rempart.twin.runner import run_scenario


@pytest.fixture(scope="module")
def day_jsonl() -> str:
    return run_scenario("normal-day", seed=11).line.journal.to_jsonl()


def test_sequences_start_at_one_without_gaps_and_time_never_goes_back(day_jsonl: str) -> None:
    entries = [JournalEntry.from_json(line) for line in day_jsonl.splitlines()]
    assert [e.sequence for e in entries] == list(range(1, len(entries) + 1))
    times = [e.timestamp for e in entries]
    assert all(a <= b for a, b in itertools.pairwise(times))
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert {e.line_id for e in entries} == {"LINE-1"}


def test_the_same_scenario_and_seed_give_a_byte_identical_journal(day_jsonl: str) -> None:
    assert run_scenario("normal-day", seed=11).line.journal.to_jsonl() == day_jsonl
    assert run_scenario("normal-day", seed=12).line.journal.to_jsonl() != day_jsonl


def test_entries_are_canonical_json_and_round_trip(day_jsonl: str) -> None:
    for text in day_jsonl.splitlines()[:500]:
        raw = json.loads(text)
        assert set(raw) == {"line", "sequence", "timestamp", "kind", "batch_id", "data"}
        assert json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == text
        assert raw["timestamp"].endswith("Z")
        assert JournalEntry.from_json(text).to_json() == text


def test_every_kind_of_a_normal_day_is_documented(day_jsonl: str) -> None:
    kinds = {json.loads(t)["kind"] for t in day_jsonl.splitlines()}
    assert kinds <= {str(k) for k in Kind}
    text = (Path(__file__).resolve().parents[2] / "docs" / "opcua.md").read_text(encoding="utf-8")
    for kind in Kind:
        assert f"`{kind}`" in text, f"{kind} missing from docs/opcua.md"


def test_read_pages_resume_where_the_last_one_stopped() -> None:
    journal = run_scenario("no-faults-1h").line.journal
    collected: list[int] = []
    cursor = 1
    while page := journal.read(cursor, 97):
        collected += [e.sequence for e in page]
        cursor = page[-1].sequence + 1
    assert collected == list(range(1, journal.last_sequence + 1))
    assert journal.read(journal.last_sequence + 1, 10) == []
    with pytest.raises(TwinError, match="start at 1"):
        journal.read(0, 10)
    with pytest.raises(TwinError, match="negative"):
        journal.read(1, -1)
