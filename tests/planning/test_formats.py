"""Vial format changes carried from one period to the next (formats.py, the model's rows)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from rempart.planning.check import check_plan
from rempart.planning.formats import FormatStep, fewest_changes, period_changes
from rempart.planning.io import ProblemFormatError, problem_from_dict, problem_to_dict
from rempart.planning.plan import Plan, Status
from rempart.planning.problem import (
    PlanHospital,
    PlanningProblem,
    PlanningProblemError,
    PlanProduct,
    Regime,
)
from rempart.planning.solve import SolveOptions, solve

AB = {"A", "B"}


def test_a_period_in_the_format_carried_in_makes_no_change() -> None:
    assert period_changes({"A"}, "A") == 0
    assert period_changes({"A"}, "B") == 1
    assert period_changes({"A", "B"}, "A") == 1
    assert period_changes({"A", "B"}, None) == 2
    assert period_changes(set(), "A") == 0


def test_an_unknown_first_format_is_the_one_filled_first() -> None:
    steps = fewest_changes([{"A"}, {"A"}, {"A"}], None, AB)
    assert steps == [FormatStep("A", "A", 0)] * 3


def test_a_given_first_format_is_changed_once_then_carried() -> None:
    steps = fewest_changes([{"A"}, set(), {"A"}], "B", AB)
    assert steps is not None
    assert [s.changes for s in steps] == [1, 0, 0]
    assert [s.end for s in steps] == ["A", "A", "A"]  # the idle period keeps the format


def test_a_period_with_two_formats_ends_in_the_other_one() -> None:
    steps = fewest_changes([{"A", "B"}, {"B"}, {"A", "B"}], "A", AB)
    assert steps is not None
    assert [(s.carried, s.end, s.changes) for s in steps] == [
        ("A", "B", 1),
        ("B", "B", 0),
        ("B", "A", 1),
    ]


def test_spare_hours_can_make_coming_back_to_the_format_the_only_way() -> None:
    # Day 0 has room for two changes, day 1 for none: day 0 must end in A again.
    steps = fewest_changes([{"A", "B"}, {"A"}], "A", AB, spare_hours=[2.0, 0.5], change_hours=1.0)
    assert steps is not None
    assert [(s.carried, s.end, s.changes) for s in steps] == [(None, "A", 2), ("A", "A", 0)]
    assert fewest_changes([{"A"}], "B", AB, spare_hours=[0.5], change_hours=1.0) is None


def _fewest(
    used: list[set[str]], spare: list[float], prepare: bool = True
) -> list[FormatStep] | None:
    return fewest_changes(used, "A", AB, spare_hours=spare, change_hours=1.0, prepare=prepare)


def test_a_change_is_made_after_the_lots_only_when_the_next_period_has_no_room_for_it() -> None:
    assert _fewest([{"A"}, {"B"}], [1.0, 1.0]) == [
        FormatStep("A", "A", 0),
        FormatStep(None, "B", 1),
    ]
    tight = [FormatStep("A", "B", 1, prepared=True), FormatStep("B", "B", 0)]
    assert _fewest([{"A"}, {"B"}], [1.0, 0.0]) == tight
    assert _fewest([{"A"}, {"B"}], [0.5, 0.5]) is None
    # Not allowed unless the problem says so.
    assert _fewest([{"A"}, {"B"}], [1.0, 0.0], prepare=False) is None


def test_an_idle_period_with_hours_can_prepare_the_next_format() -> None:
    prepared = [FormatStep(None, "B", 1, prepared=True), FormatStep("B", "B", 0)]
    assert _fewest([set(), {"B"}], [1.0, 0.0]) == prepared
    assert _fewest([set(), {"B"}], [0.0, 0.0]) is None  # a weekend day with no line hours


def _problem(
    initial: str | None, capacity: tuple[float, ...] = (3.0, 3.0, 4.0, 3.0)
) -> PlanningProblem:
    """PA (format A) needed on days 0-1, PB (format B) on days 2-3, 3 vials a day, 1 h each.

    Days 0, 1 and 3 have exactly the hours of their vials: the plan is feasible only if the
    line fills A on days 0-1 and B on day 3 without a change (format carried in).
    """

    def product(code: str, fmt: str) -> PlanProduct:
        return PlanProduct(code, 5, 1.0, 0.0, fmt, setup_cost=10.0)

    return PlanningProblem(
        name="formats",
        period_days=1.0,
        period_labels=("d0", "d1", "d2", "d3"),
        products=(product("PA", "A"), product("PB", "B")),
        hospitals=(PlanHospital("H"),),
        demand={("H", "PA"): (3.0, 3.0, 0.0, 0.0), ("H", "PB"): (0.0, 0.0, 3.0, 3.0)},
        regimes=(Regime("normal", capacity, capacity_source="test figure"),),
        format_change_hours=1.0,
        allow_unmet_demand=False,
        initial_vial_format=initial,
    )


@pytest.mark.parametrize("initial", ["A", None])
def test_the_line_keeps_its_format_from_one_day_to_the_next(initial: str | None) -> None:
    plan = solve(_problem(initial), SolveOptions(time_limit_s=20))
    assert plan.status is Status.OPTIMAL
    assert plan.objective == pytest.approx(40.0)  # one lot a day, no stock held
    assert [u.format_changes for u in plan.periods] == [0, 0, 1, 0]
    assert [u.line_format for u in plan.periods] == ["A", "A", "B", "B"]
    assert [u.used_hours for u in plan.periods] == pytest.approx([3.0, 3.0, 4.0, 3.0])
    assert check_plan(_problem(initial), plan) == []


def test_the_line_is_set_up_for_the_next_day_after_the_lots_when_that_day_has_no_room() -> None:
    """PA on day 0 (3 vials, 4 h), PB on day 1 (3 vials, 3 h): only a change to B made on
    day 0 after its lot, without filling B, lets day 1 fill PB."""
    base = _problem("A")

    def two_days(capacity: tuple[float, float], prepare: bool = True) -> PlanningProblem:
        return PlanningProblem(
            name="prepare",
            period_days=1.0,
            period_labels=("d0", "d1"),
            products=base.products,
            hospitals=base.hospitals,
            demand={("H", "PA"): (3.0, 0.0), ("H", "PB"): (0.0, 3.0)},
            regimes=(Regime("normal", capacity, capacity_source="test figure"),),
            format_change_hours=1.0,
            allow_unmet_demand=False,
            initial_vial_format="A",
            prepare_next_format=prepare,
        )

    problem = two_days((4.0, 3.0))
    plan = solve(problem, SolveOptions(time_limit_s=20))
    assert plan.status is Status.OPTIMAL
    assert [(lot.product, lot.period) for lot in plan.lots] == [("PA", 0), ("PB", 1)]
    assert [u.format_changes for u in plan.periods] == [1, 0]
    assert [u.line_format for u in plan.periods] == ["B", "B"]
    assert [u.prepared_format for u in plan.periods] == ["B", None]
    assert [u.used_hours for u in plan.periods] == pytest.approx([4.0, 3.0])
    assert check_plan(problem, plan) == []
    # One hour less on day 0 leaves no room for the change: no plan.
    assert solve(two_days((3.0, 3.0)), SolveOptions(time_limit_s=20)).status is Status.INFEASIBLE
    # Without `prepare_next_format` the change has to be made on day 1, where it does not fit.
    unprepared = two_days((4.0, 3.0), prepare=False)
    assert solve(unprepared, SolveOptions(time_limit_s=20)).status is Status.INFEASIBLE
    issues = check_plan(unprepared, plan)
    assert len(issues) == 1
    assert issues[0].startswith("period 1: its lots leave 0.000 spare")


def test_a_line_set_up_for_another_format_has_no_room_on_day_0() -> None:
    plan = solve(_problem("B"), SolveOptions(time_limit_s=20))
    assert plan.status is Status.INFEASIBLE


def test_the_check_names_the_period_whose_format_change_does_not_fit() -> None:
    plan = solve(_problem("A"), SolveOptions(time_limit_s=20))
    issues = check_plan(_problem("B"), plan)
    assert len(issues) == 1
    assert issues[0].startswith("period 0: its lots leave 0.000 spare line hours")
    assert "formats A" in issues[0]


def test_an_initial_format_no_product_uses_is_refused_by_name() -> None:
    with pytest.raises(PlanningProblemError, match="initial vial format 'C'") as error:
        _problem("C")
    assert error.value.field == "initial_vial_format"


def test_the_initial_format_round_trips_through_json() -> None:
    problem = _problem("B")
    data = problem_to_dict(problem)
    assert data["initial_vial_format"] == "B"
    assert problem_from_dict(data).initial_vial_format == "B"
    data.pop("initial_vial_format")
    assert problem_from_dict(data).initial_vial_format is None
    for wrong in (5, "C"):
        with pytest.raises(ProblemFormatError) as error:
            problem_from_dict({**data, "initial_vial_format": wrong})
        assert error.value.path == "$.initial_vial_format"


def test_preparing_the_next_format_is_off_unless_the_problem_says_so() -> None:
    data = problem_to_dict(_problem("A"))
    assert data["prepare_next_format"] is False
    data.pop("prepare_next_format")
    assert problem_from_dict(data).prepare_next_format is False
    assert problem_from_dict({**data, "prepare_next_format": True}).prepare_next_format is True
    with pytest.raises(ProblemFormatError) as error:
        problem_from_dict({**data, "prepare_next_format": "yes"})
    assert error.value.path == "$.prepare_next_format"


@pytest.mark.parametrize("seed", range(8))
def test_every_solved_plan_has_a_format_sequence_the_check_accepts(seed: int) -> None:
    """Random tight problems: the model's format rows and formats.py agree on what fits."""
    rng = random.Random(seed)
    products = tuple(
        PlanProduct(f"P{i}", 5, 1.0, 0.5, fmt, setup_cost=5.0, holding_cost_per_vial_period=1.0)
        for i, fmt in enumerate(("A", "A", "B", "C"))
    )
    days = 6
    demand = {
        ("H", p.code): tuple(float(rng.choice((0, 0, 1, 2, 3))) for _ in range(days))
        for p in products
    }
    capacity = tuple(float(rng.choice((0, 3, 4, 5, 6))) for _ in range(days))
    problem = PlanningProblem(
        name=f"random-{seed}",
        period_days=1.0,
        period_labels=tuple(f"d{t}" for t in range(days)),
        products=products,
        hospitals=(PlanHospital("H"),),
        demand=demand,
        regimes=(Regime("normal", capacity, capacity_source="test figure"),),
        format_change_hours=1.0,
        initial_vial_format=rng.choice((None, "A", "B", "C")),
        prepare_next_format=seed >= 4,
    )
    # Odd seeds also run relax-and-fix, whose fix-and-optimise frees columns too.
    plan = solve(problem, SolveOptions(time_limit_s=20, heuristic=seed % 2 == 1))
    assert plan.status is Status.OPTIMAL, plan.check_violations
    assert check_plan(problem, plan) == []
    for use in plan.periods:
        assert use.used_hours <= use.capacity_hours + 1e-6
        if use.prepared_format is not None:
            assert use.line_format == use.prepared_format
            assert use.format_changes >= 1
        elif problem.initial_vial_format is not None and use.period < first_lot(plan):
            if not prepared_before(plan, use.period):
                assert use.line_format == problem.initial_vial_format  # as it was given
        else:
            assert use.line_format is not None


def first_lot(plan: Plan) -> int:
    return min((lot.period for lot in plan.lots), default=10**9)


def prepared_before(plan: Plan, period: int) -> bool:
    return any(u.prepared_format is not None for u in plan.periods[:period])


def test_a_lot_below_its_minimum_batch_does_not_hide_a_format_change_that_does_not_fit() -> None:
    plan = solve(_problem("A"), SolveOptions(time_limit_s=20))
    strict = _problem("B")
    strict = replace(
        strict, products=tuple(replace(p, min_batch_vials=5.0) for p in strict.products)
    )
    issues = check_plan(strict, plan)
    assert sum("below the minimum batch 5" in issue for issue in issues) == 4
    assert sum(issue.startswith("period 0: its lots leave") for issue in issues) == 1
