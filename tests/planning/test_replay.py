"""The spring-2020 crisis replay (issue 10): scenario validation, reproducibility, PPA per day."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rempart.domain.region import HAUTS_DE_FRANCE
from rempart.planning.replay import run
from rempart.planning.replay_result import Outcome, ReplayResult
from rempart.planning.scenario import (
    ScenarioError,
    load_scenario,
    packaged_scenarios,
    parse_scenario,
)

SCENARIO_FILE = (
    Path(__file__).resolve().parents[2] / "src" / "rempart" / "planning" / "scenarios"
) / "covid-2020.json"
EPS = 1e-6


@pytest.fixture(scope="module")
def quick() -> ReplayResult:
    return run("covid-2020", seed=3, quick=True)


def _document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCENARIO_FILE.read_text(encoding="utf-8"))
    return data


def test_the_packaged_scenario_covers_spring_2020_for_the_region() -> None:
    assert "covid-2020" in packaged_scenarios()
    scenario = load_scenario("covid-2020")
    assert (scenario.start.isoformat(), scenario.end.isoformat()) == ("2020-03-01", "2020-05-31")
    assert scenario.region == "hauts-de-france"
    assert len(scenario.products) == 10
    curare = scenario.groups["curare"]
    peak = max(value for _, value in curare.surge.points)
    assert 10 <= peak <= 20  # DOMAIN.md §7.1: x10-20
    assert curare.deliveries.at(scenario.start) == 1.0
    assert min(value for _, value in curare.deliveries.points) < 1.0  # deliveries are cut
    quick = scenario.quick()
    assert quick.days < scenario.days
    assert len(quick.products) < len(scenario.products)


def test_every_block_of_numbers_carries_its_notes() -> None:
    document = _document()
    for key in ("region", "demand_noise", "stock", "supply", "line", "planning", "quick"):
        assert document[key]["notes"].strip(), key
    for name, group in document["groups"].items():
        assert group["surge_notes"].strip(), name
        assert group["deliveries_notes"].strip(), name
    assert all(regime["notes"].strip() for regime in document["regimes"])


def _mutated(change: Any) -> str:
    document = _document()
    change(document)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (lambda d: d["regimes"][1].pop("notes"), "$.regimes[1].notes", "is required"),
        (
            lambda d: d["line"].__setitem__("qc_lead_time_days", -1),
            "$.line.qc_lead_time_days",
            ">= 0",
        ),
        (lambda d: d["products"][2].__setitem__("code", "NOPE"), "$.products[2].code", "catalogue"),
        (
            lambda d: d["groups"]["curare"]["surge"][3].__setitem__(0, "2020-13-01"),
            "$.groups.curare.surge[3][0]",
            "not an ISO date",
        ),
        (
            lambda d: d["groups"]["curare"]["surge"].insert(2, ["2020-03-02", 2.0]),
            "$.groups.curare.surge[2][0]",
            "is not after",
        ),
        (
            lambda d: d["stock"].__setitem__("hospital_dayz", 3),
            "$.stock.hospital_dayz",
            "unknown key",
        ),
        (
            lambda d: d["products"][0].__setitem__("group", "antibiotic"),
            "$.products[0].group",
            "unknown group",
        ),
        (
            lambda d: d["regimes"][0].__setitem__("weekdays", [7]),
            "$.regimes[0].weekdays",
            "weekdays",
        ),
        (lambda d: d.__setitem__("format", "x/2"), "$.format", "rempart-scenario/1"),
        (
            lambda d: d["quick"].__setitem__("products", ["KETA-10-20", "X"]),
            "$.quick.products[1]",
            "not a product",
        ),
        (lambda d: d.__setitem__("days", 100_000), "$.days", "<= 3660"),
        (
            lambda d: d["planning"].__setitem__("horizon_days", 5000),
            "$.planning.horizon_days",
            "<= 366",
        ),
        (lambda d: d["quick"].__setitem__("horizon_days", 400), "$.quick.horizon_days", "<= 366"),
    ],
)
def test_a_bad_scenario_names_the_field(change: Any, where: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_mutated(change), source="bad.json")
    assert caught.value.where == where
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"bad.json: {where}: ")


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "format": "rempart-scenario/1",\n  "name": oops\n}\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken.json: line 3, column 11: invalid JSON"):
        load_scenario(path)
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken.json: line 1, column 1: .*nested deeper"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="no such scenario; packaged: covid-2020"):
        load_scenario("covid-2021")
    with pytest.raises(ScenarioError, match=r"missing.json: \(file\)"):
        load_scenario(tmp_path / "missing.json")


def test_replay_days_are_bounded() -> None:
    scenario = load_scenario("covid-2020")
    assert scenario.with_days(3660).days == 3660
    for days in (0, 3661):
        with pytest.raises(ScenarioError, match="--days: must be from 1 to 3660"):
            scenario.with_days(days)


def test_same_seed_gives_identical_figures(quick: ReplayResult) -> None:
    assert quick.solves_at_time_limit == 0, "a solve stopped at its time limit: not reproducible"
    again = run("covid-2020", seed=3, quick=True)
    assert again.figures() == quick.figures()
    assert [d.vials_filled for d in again.with_line.days] == [
        d.vials_filled for d in quick.with_line.days
    ]
    assert again.with_line.hospital_fill_rates == quick.with_line.hospital_fill_rates


def test_another_seed_draws_other_demand() -> None:
    a = run("covid-2020", seed=3, quick=True, days=2)
    b = run("covid-2020", seed=4, quick=True, days=2)
    assert a.baseline.demand_vials != b.baseline.demand_vials


def test_the_line_beats_the_baseline_on_the_quick_variant(quick: ReplayResult) -> None:
    line, base = quick.with_line, quick.baseline
    assert line.demand_vials == base.demand_vials  # same demand in both arms
    assert base.vials_made == 0
    assert base.crisis_days == 0
    assert line.vials_made > 0
    assert line.regional_fill_rate > base.regional_fill_rate
    assert line.min_hospital_fill_rate > base.min_hospital_fill_rate
    assert len(line.hospital_fill_rates) == len(HAUTS_DE_FRANCE) == 17


def _ppa_holds(outcome: Outcome) -> None:
    for day in outcome.days:
        for product in day.products:
            assert product.allocated_vials <= product.supply_vials + EPS, (day.date, product)
            lines = product.lines
            assert abs(sum(x.allocated_vials for x in lines) - product.allocated_vials) < 1e-6
            for x in lines:
                assert x.allocated_vials >= -EPS
                assert x.allocated_vials <= x.requested_vials + EPS, (day.date, x)
                assert x.from_own_stock_vials + x.allocated_vials <= x.demand_vials + EPS


def test_ppa_never_allocates_beyond_supply_nor_above_demand(quick: ReplayResult) -> None:
    _ppa_holds(quick.with_line)
    _ppa_holds(quick.baseline)
    short = [
        p
        for d in quick.baseline.days
        for p in d.products
        if p.allocated_vials < sum(x.requested_vials for x in p.lines) - 1
    ]
    assert short, "the quick baseline must ration at least once, or this test proves nothing"


def test_vials_are_released_after_the_qc_lead_time(quick: ReplayResult) -> None:
    lead = load_scenario("covid-2020").line.qc_lead_time_days
    days = quick.with_line.days
    for day in days:
        filled = days[day.day - lead].vials_filled if day.day >= lead else 0.0
        assert day.vials_released == filled, day.date


def test_a_crisis_regime_lasts_at_least_its_minimum_duration(quick: ReplayResult) -> None:
    minimum = max(r.min_duration_days for r in load_scenario("covid-2020").regimes)
    regimes = [d.regime for d in quick.with_line.days]
    assert "crisis" in regimes
    runs: list[int] = []
    for i, regime in enumerate(regimes):
        if regime == "crisis":
            if i and regimes[i - 1] == "crisis":
                runs[-1] += 1
            else:
                runs.append(1)
    last_is_open = regimes[-1] == "crisis"
    closed = runs[:-1] if last_is_open else runs
    assert all(length >= minimum for length in closed), runs
    assert quick.with_line.crisis_days == sum(runs)
