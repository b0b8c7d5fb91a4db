"""The line's vial format in the model: formats filled, carried in, and ended in per period.

model.py builds these columns and rows (docs/planning.md, decision 0015); formats.py computes
the same rules outside the MIP, for the check, the extraction, compaction and the replay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import highspy

if TYPE_CHECKING:  # model.py builds these rows, so it imports this module
    from rempart.planning.model import PlanModel


def add_format_variables(model: PlanModel) -> None:
    """Formats filled, the line's format at the end of each period, and carried formats.

    w[f,t] = 1 when vial format f is filled in period t; e[f,t] = 1 when the line ends period t
    in format f (at most one; none means unknown), e[f,-1] is the format before period 0
    (fixed when the problem gives it, free otherwise); c[f,t] = 1 when period t starts by
    filling f in the format carried in; b[f,t] = 1 when period t ends with a change to f made
    after its lots, without filling f (a preparation for the next period; only when the
    problem's `prepare_next_format` allows it, b = 0 otherwise). Period t makes
    sum_f (w[f,t] - c[f,t] + b[f,t]) changes.
    """
    problem = model.problem
    if problem.format_change_hours <= 0:
        return
    filled = {p for p, _ in model.setup}
    formats = {product.vial_format for product in problem.products if product.code in filled}
    if problem.initial_vial_format is not None:
        formats.add(problem.initial_vial_format)
    if len(formats) < 2:
        return  # the line never changes format
    initial = problem.initial_vial_format
    for f in sorted(formats):
        if initial is None:
            low, high = 0.0, 1.0
        else:
            low = high = 1.0 if f == initial else 0.0
        model.format_end[f, -1] = model.add_column(f"format_end[{f},-1]", low, high, integer=True)
        for t in range(problem.n_periods):
            model.format_used[f, t] = model.add_column(f"format[{f},{t}]", 0.0, 1.0, integer=True)
            model.format_end[f, t] = model.add_column(
                f"format_end[{f},{t}]", 0.0, 1.0, integer=True
            )
            # Continuous: with w and e integral its largest feasible value is 0 or 1.
            model.format_carry[f, t] = model.add_column(f"format_carry[{f},{t}]", 0.0, 1.0)
            if problem.prepare_next_format:
                # Continuous: with w, e and c integral its least feasible value is 0 or 1,
                # and every unit costs line hours.
                model.format_prepared[f, t] = model.add_column(
                    f"format_prepared[{f},{t}]", 0.0, 1.0
                )


def add_format_constraints(model: PlanModel) -> None:
    """How the line's vial format passes from one period to the next.

    format_end_one[t]    sum_f e[f,t] <= 1
    format_end_kept[f,t] e[f,t] <= e[f,t-1] + w[f,t] + b[f,t]  (an idle period keeps the
                                                           format unless it prepares another)
    format_end_used[f,g,t] e[f,t] + w[g,t] - w[f,t] - b[f,t] <= 1  (a period that fills ends
                                                           in one of the formats it fills, or
                                                           in one it prepares)
    format_prepared_end[f,t] b[f,t] <= e[f,t]            (a preparation is for the end format)
    format_carry_in[f,t] c[f,t] <= e[f,t-1]
    format_carry_used[f,t] c[f,t] <= w[f,t]
    format_has_lot[f,t]  w[f,t] <= sum_{p of format f} y[p,t]  (no change without a lot of it:
                                                           the plan's lots say every change)
    format_turn[f,g,t]   c[f,t] + e[f,t] + w[g,t] - b[f,t] <= 2  (a period that starts in f
                                                           and also fills g ends in another
                                                           format than f: coming back to f is
                                                           a change)
    """
    if not model.format_used:
        return
    problem = model.problem
    formats = sorted({f for f, _ in model.format_used})
    fmt_of = {product.code: product.vial_format for product in problem.products}
    inf = highspy.kHighsInf
    for t in range(-1, problem.n_periods):
        model.add_row(
            f"format_end_one[{t}]", -inf, 1.0, [(model.format_end[f, t], 1.0) for f in formats]
        )
    for t in range(problem.n_periods):
        for f in formats:
            e, before = model.format_end[f, t], model.format_end[f, t - 1]
            w, c = model.format_used[f, t], model.format_carry[f, t]
            # -b[f,t] in the rows below when the problem allows preparations, else nothing.
            b = [(model.format_prepared[f, t], -1.0)] if model.format_prepared else []
            model.add_row(
                f"format_end_kept[{f},{t}]", -inf, 0.0, [(e, 1.0), (before, -1.0), (w, -1.0), *b]
            )
            if b:
                model.add_row(
                    f"format_prepared_end[{f},{t}]", -inf, 0.0, [(b[0][0], 1.0), (e, -1.0)]
                )
            model.add_row(f"format_carry_in[{f},{t}]", -inf, 0.0, [(c, 1.0), (before, -1.0)])
            lots = [(y, -1.0) for (p, q), y in model.setup.items() if q == t and fmt_of[p] == f]
            model.add_row(f"format_carry_used[{f},{t}]", -inf, 0.0, [(c, 1.0), (w, -1.0)])
            model.add_row(f"format_has_lot[{f},{t}]", -inf, 0.0, [(w, 1.0), *lots])
            for g in formats:
                if g == f:
                    continue
                other = model.format_used[g, t]
                model.add_row(
                    f"format_end_used[{f},{g},{t}]",
                    -inf,
                    1.0,
                    [(e, 1.0), (other, 1.0), (w, -1.0), *b],
                )
                model.add_row(
                    f"format_turn[{f},{g},{t}]",
                    -inf,
                    2.0,
                    [(c, 1.0), (e, 1.0), (other, 1.0), *b],
                )
