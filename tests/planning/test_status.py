"""Our status words from HiGHS's model status: never "optimal" without HiGHS's proof."""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import pytest

from rempart.planning.plan import Status
from rempart.planning.status import relative_gap, stage_status

MS = highspy.HighsModelStatus
FEASIBLE = highspy.SolutionStatus.kSolutionStatusFeasible
NONE = highspy.SolutionStatus.kSolutionStatusNone


@dataclass
class _Info:
    primal_solution_status: highspy.SolutionStatus


@dataclass
class _Reported:
    """What `stage_status` reads of a HiGHS instance after a run (and nothing else)."""

    model_status: highspy.HighsModelStatus
    solution: highspy.SolutionStatus

    def getModelStatus(self) -> highspy.HighsModelStatus:
        return self.model_status

    def getInfo(self) -> _Info:
        return _Info(self.solution)


@pytest.mark.parametrize(
    ("model_status", "solution", "expected"),
    [
        (MS.kOptimal, FEASIBLE, (Status.OPTIMAL, True)),
        (MS.kInfeasible, NONE, (Status.INFEASIBLE, False)),
        (MS.kUnboundedOrInfeasible, NONE, (Status.INFEASIBLE, False)),
        (MS.kTimeLimit, FEASIBLE, (Status.FEASIBLE, True)),
        (MS.kInterrupt, FEASIBLE, (Status.FEASIBLE, True)),
        (MS.kTimeLimit, NONE, (Status.TIME_LIMIT_NO_SOLUTION, False)),
        (MS.kIterationLimit, NONE, (Status.TIME_LIMIT_NO_SOLUTION, False)),
        (MS.kSolutionLimit, NONE, (Status.TIME_LIMIT_NO_SOLUTION, False)),
        # "Optimal" without a feasible point is not a plan: HiGHS's word alone is not enough.
        (MS.kOptimal, NONE, (Status.ERROR, False)),
        (MS.kSolveError, NONE, (Status.ERROR, False)),
    ],
)
def test_highs_statuses_map_to_ours(
    model_status: highspy.HighsModelStatus,
    solution: highspy.SolutionStatus,
    expected: tuple[Status, bool],
) -> None:
    reported = _Reported(model_status, solution)
    assert stage_status(reported) == expected  # type: ignore[arg-type]


def test_relative_gap() -> None:
    assert relative_gap(None, 1.0) is None
    assert relative_gap(1.0, None) is None
    assert relative_gap(200.0, 150.0) == pytest.approx(0.25)
    assert relative_gap(0.5, 0.0) == pytest.approx(0.5)  # divided by 1, not by 0.5
