"""Monte Carlo: seeded runs, ordered by seed, the same summary whatever the worker count."""

from __future__ import annotations

import pytest

from rempart.twin.montecarlo import run_montecarlo


def test_the_summary_does_not_depend_on_the_number_of_workers() -> None:
    one = run_montecarlo("normal-day", runs=4, workers=1, hours=12.0)
    two = run_montecarlo("normal-day", runs=4, workers=2, hours=12.0)
    assert one.kpis == two.kpis
    summary = one.to_dict()
    assert summary["runs"] == 4
    assert summary["first_seed"] == 1
    good = summary["vials_good"]
    assert good["min"] <= good["p10"] <= good["p50"] <= good["p90"] <= good["max"]
    assert good["min"] <= good["mean"] <= good["max"]
    assert 0.0 < summary["oee"]["p50"] < 1.0


def test_progress_is_reported_per_run_and_bad_counts_are_refused() -> None:
    seen: list[int] = []
    run_montecarlo("no-faults-1h", runs=3, workers=1, on_progress=seen.append)
    assert seen == [1, 2, 3]
    with pytest.raises(ValueError, match="at least 1"):
        run_montecarlo("no-faults-1h", runs=0)
