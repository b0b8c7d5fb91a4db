"""The Trigeiro `.DAT` reader: 15-column blocks and file quirks, checked against optima."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from rempart.planning.io import ProblemFormatError, load_problem
from rempart.planning.plan import Status
from rempart.planning.problem import PlanningProblem
from rempart.planning.solve import SolveOptions, has_integral_optimum, solve
from rempart.planning.textbook import solve_textbook
from rempart.planning.trigeiro import DatFormatError, parse_dat, read_dat

DATA = Path(__file__).parent / "data"
SYNTHETIC = DATA / "synthetic17.DAT"


def brute_force_uncapacitated(problem: PlanningProblem) -> float:
    """Optimum when capacity never binds: items are independent; enumerate setup patterns."""
    total = 0.0
    for product in problem.products:
        demand = problem.demand["SITE", product.code]
        best = float("inf")
        for pattern in itertools.product((0, 1), repeat=len(demand)):
            cost, last_setup, feasible = 0.0, None, True
            for t, d in enumerate(demand):
                if pattern[t]:
                    last_setup = t
                    cost += product.setup_cost
                if d > 0:
                    if last_setup is None:
                        feasible = False
                        break
                    cost += product.holding_cost_per_vial_period * d * (t - last_setup)
            if feasible:
                best = min(best, cost)
        total += best
    return total


def test_reads_the_17_item_fixture_in_column_blocks() -> None:
    problem = read_dat(SYNTHETIC)
    assert len(problem.products) == 17
    assert problem.n_periods == 4
    # Item 16 is the first column of the second block (lines 25-28 of the file).
    lines = SYNTHETIC.read_bytes().split(b"\r\n")
    first_block_row = lines[20].split()
    second_block_row = lines[24].split()
    assert len(first_block_row) == 15
    assert len(second_block_row) == 2
    assert problem.demand["SITE", "I01"][0] == float(first_block_row[0])
    assert problem.demand["SITE", "I16"][0] == float(second_block_row[0])
    assert problem.demand["SITE", "I17"][3] == float(lines[27].split()[1])
    assert problem.products[3].setup_cost == 600.0  # the tab-separated line


def test_synthetic_optimum_matches_brute_force() -> None:
    problem = read_dat(SYNTHETIC)
    plan = solve(problem, SolveOptions(time_limit_s=30.0, mip_rel_gap=0.0))
    assert plan.status is Status.OPTIMAL
    assert plan.objective == pytest.approx(brute_force_uncapacitated(problem))
    assert plan.check_violations == ()


def test_period_major_reading_would_build_a_different_instance() -> None:
    text = SYNTHETIC.read_bytes().split(b"\x1a")[0].decode()
    tokens = text.split()
    head = 4 + 4 * 17
    stream = [float(x) for x in tokens[head : head + 17 * 4]]
    naive_item16 = [stream[t * 17 + 15] for t in range(4)]
    assert naive_item16 != list(read_dat(SYNTHETIC).demand["SITE", "I16"])


def test_tight_capacity_agrees_with_the_textbook_formulation() -> None:
    text = SYNTHETIC.read_bytes().split(b"\x1a")[0].decode().replace(" 100000", " 1700", 1)
    problem = parse_dat(text, "synthetic17-tight")
    ours = solve(problem, SolveOptions(time_limit_s=30.0, mip_rel_gap=0.0))
    baseline = solve_textbook(problem, time_limit_s=30.0)
    assert ours.status is Status.OPTIMAL
    assert baseline.objective == pytest.approx(ours.objective, rel=1e-4)
    assert ours.objective is not None
    assert ours.objective > brute_force_uncapacitated(read_dat(SYNTHETIC))


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("2 2\n1\n100\n1 1 1 1\n1 1 1 x\n", 5, "setup cost of item 2"),
        ("2 2\n1\n100\n1 1 1 1\n1 1 1 1\n5 5\n5\n", None, "file ends before"),
        ("2 2\n1\n100\n1 1 1 1\n1 1 1 1\n5 5\n5 5\n7\n", 8, "more numbers"),
        ("0 2\n1\n", 1, "number of items"),
    ],
)
def test_malformed_files_name_the_line(text: str, line: int | None, fragment: str) -> None:
    with pytest.raises(DatFormatError) as info:
        parse_dat(text, "bad")
    assert info.value.line == line
    assert fragment in str(info.value)


def test_load_problem_dispatches_on_extension(tmp_path: Path) -> None:
    bad = tmp_path / "broken.dat"
    bad.write_text("3 2\n1\n")
    with pytest.raises(ProblemFormatError, match=r"broken\.dat"):
        load_problem(bad)
    assert load_problem(SYNTHETIC).name == "synthetic17"


def test_integral_clsp_rounds_the_bound_and_proves_gap_zero() -> None:
    problem = read_dat(SYNTHETIC)
    assert has_integral_optimum(problem)
    plan = solve(problem, SolveOptions(time_limit_s=30.0))
    assert plan.status is Status.OPTIMAL
    assert plan.gap == 0.0
    fractional = parse_dat(
        SYNTHETIC.read_bytes().split(b"\x1a")[0].decode().replace("1.00 5.00", "1.00 0.80", 1)
    )
    assert not has_integral_optimum(fractional)


def test_aggregated_incumbent_converts_to_facility_location_flows() -> None:
    text = SYNTHETIC.read_bytes().split(b"\x1a")[0].decode().replace(" 100000", " 1700", 1)
    problem = parse_dat(text, "synthetic17-tight")
    plain = solve(problem, SolveOptions(time_limit_s=30.0, mip_rel_gap=0.0))
    mixed = solve(problem, SolveOptions(time_limit_s=30.0, mip_rel_gap=0.0, portfolio=True))
    assert "aggregated-model incumbent given to HiGHS" in mixed.messages
    assert mixed.status is Status.OPTIMAL
    assert mixed.objective == pytest.approx(plain.objective)
    assert mixed.check_violations == ()
