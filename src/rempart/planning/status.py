"""Our status words from HiGHS's, and the relative gap, shared by every solve."""

from __future__ import annotations

import highspy

from rempart.planning.plan import Status


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|objective - bound| / max(|objective|, 1): 0 means proven optimal."""
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(abs(objective), 1.0)


def stage_status(h: highspy.Highs) -> tuple[Status, bool]:
    """Our status from HiGHS's model status and whether a primal solution exists."""
    model_status = h.getModelStatus()
    has_solution = (
        h.getInfo().primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    )
    if model_status == highspy.HighsModelStatus.kOptimal and has_solution:
        return Status.OPTIMAL, True
    if model_status in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return Status.INFEASIBLE, False
    if has_solution:
        return Status.FEASIBLE, True
    if model_status in (
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kInterrupt,
        highspy.HighsModelStatus.kSolutionLimit,
        highspy.HighsModelStatus.kIterationLimit,
    ):
        return Status.TIME_LIMIT_NO_SOLUTION, False
    return Status.ERROR, False
