"""Valid rows and reductions that tighten the model where regimes meet lot sizing.

None of these changes the set of optimal plans; each one removes fractional points the LP
relaxation used to lean on (docs/planning.md, decision 0014).

- **Filling caps per regime** (`filling[t]`, `filling_lots[t]`). The capacity row charges the
  setup time in proportion to y, so the relaxation could fill nearly a whole normal shift
  with a fraction of a lot, while a real lot leaves only C - setup - format change hours. If
  anything is filled in period t, at least one setup (the shortest, s_min) is made, and one
  format change f unless the period starts in the format carried in (sum_f c[f,t] = 1), so
  with g[r,t] = max(0, C[r,t] - s_min - f), the filling hours F[t] = sum_p a_p sum_k x[p,t,k]
  obey

      filling[t]        F[t] <= sum_r g[r,t] z[r,t] + f sum_f c[f,t]
      filling_lots[t]   F[t] <= g_min sum_p y[p,t] + sum_r (g[r,t] - g_min) z[r,t]
                                + f sum_f c[f,t]

  (g_min = min_r g[r,t]). The second holds because no lot means F = 0, and with L >= 1 lots in
  regime r the right-hand side is at least g[r,t] >= F (or g[r,t] + f when carried). On the
  regional demo they raised the cost stage's root bound from 144 k to 165 k (decision 0014).
- **Dominant regime.** The fairness and shortage objectives do not depend on the regime. When
  one regime has at least the hours of every other in every period, running it throughout is
  feasible (one block, or none if it is the regime in force) and leaves every plan of any
  other calendar feasible, so those stages fix it and branch on lots only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import highspy

from rempart.planning.problem import PlanningProblem

if TYPE_CHECKING:  # model.py builds these rows, so it imports this module
    from rempart.planning.model import PlanModel


def add_regime_filling_constraints(model: PlanModel) -> None:
    """filling[t] and filling_lots[t] for every period with production and regime columns."""
    problem = model.problem
    if not model.regime:
        return  # one regime: the capacity and lot_size rows already say all of it
    fmt = problem.format_change_hours if model.format_used else 0.0
    filling: dict[int, list[tuple[int, float]]] = defaultdict(list)
    lots: dict[int, list[int]] = defaultdict(list)
    carried: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (_, t), col in model.format_carry.items():
        carried[t].append((col, -fmt))
    shortest: dict[int, float] = {}
    for (p, t, _), col in model.flow.items():
        filling[t].append((col, problem.product(p).line_hours_per_vial))
    for (p, t), col in model.setup.items():
        lots[t].append(col)
        setup = problem.product(p).setup_hours
        shortest[t] = min(shortest.get(t, setup), setup)
    for t in sorted(filling):
        room = {r.name: max(0.0, r.capacity_hours[t] - shortest[t] - fmt) for r in problem.regimes}
        least = min(room.values())
        regimes = [(model.regime[name, t], -hours) for name, hours in room.items() if hours > 0]
        model.add_row(f"filling[{t}]", -highspy.kHighsInf, 0.0, filling[t] + regimes + carried[t])
        if least > 0:
            mixed = [
                (model.regime[name, t], -(hours - least))
                for name, hours in room.items()
                if hours > least
            ]
            setups = [(col, -least) for col in lots[t]]
            model.add_row(
                f"filling_lots[{t}]",
                -highspy.kHighsInf,
                0.0,
                filling[t] + setups + mixed + carried[t],
            )


def dominant_regime(problem: PlanningProblem) -> str | None:
    """The regime with at least every other regime's hours in every period, if there is one."""
    if len(problem.regimes) < 2:
        return None
    for candidate in problem.regimes:
        if all(
            candidate.capacity_hours[t] >= other.capacity_hours[t]
            for other in problem.regimes
            for t in range(problem.n_periods)
        ):
            return candidate.name
    return None


def regime_bounds(model: PlanModel, regime: str) -> tuple[list[int], list[float]]:
    """Columns and values that fix `regime` in every period (the others to 0)."""
    cols: list[int] = []
    values: list[float] = []
    for (name, _), col in sorted(model.regime.items(), key=lambda item: item[1]):
        cols.append(col)
        values.append(1.0 if name == regime else 0.0)
    return cols, values
