"""The shipped scenarios against the published figures (DOMAIN.md §2), over several seeds."""

from __future__ import annotations

import pytest

from rempart.twin.kpi import KPI_KEYS
from rempart.twin.runner import run_scenario

SEEDS = (1, 2, 3)


@pytest.mark.parametrize("seed", SEEDS)
def test_normal_day_yields_1000_to_2000_good_vials(seed: int) -> None:
    kpis = run_scenario("normal-day", seed=seed).kpis
    assert 1_000 <= kpis["vials_good"] <= 2_000


@pytest.mark.parametrize("seed", SEEDS)
def test_crisis_day_yields_7000_to_9000_good_vials(seed: int) -> None:
    kpis = run_scenario("crisis-24h", seed=seed).kpis
    assert 7_000 <= kpis["vials_good"] <= 9_000
    assert kpis["simulated_hours"] == 24.0


@pytest.mark.parametrize("seed", SEEDS)
def test_one_hour_without_losses_fills_600_vials(seed: int) -> None:
    kpis = run_scenario("no-faults-1h", seed=seed).kpis
    assert abs(kpis["vials_processed"] - 600) <= 1
    assert kpis["execute_hours"] == 1.0
    assert kpis["availability"] == 1.0
    assert kpis["performance"] == 1.0


def test_kpis_carry_every_key_and_the_oee_is_the_product_of_its_factors() -> None:
    kpis = run_scenario("normal-day", seed=4).kpis
    assert set(KPI_KEYS) <= set(kpis)
    product = kpis["availability"] * kpis["performance"] * kpis["quality"]
    assert kpis["oee"] == pytest.approx(product, abs=1e-3)
    assert kpis["vials_processed"] == (
        kpis["vials_good"] + kpis["vials_rejected"] + kpis["vials_destroyed"]
    )
    assert kpis["planned_hours"] == 8.0  # one day shift
