"""JSON in and out for planning problems, and loading by file extension (`.json`, `.dat`).

The format is `rempart-planning-problem/1`, described by `problem.schema.json` beside this
module (and in docs/planning.md). Input is validated against the schema first, then by the
dataclasses; every error names its JSON path (`$.products[3].criticality`).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from rempart.domain import json_text
from rempart.planning.problem import (
    PlanHospital,
    PlanningProblem,
    PlanningProblemError,
    PlanProduct,
    Regime,
    StockLot,
)
from rempart.planning.trigeiro import DatFormatError, read_dat

FORMAT = "rempart-planning-problem/1"


class ProblemFormatError(ValueError):
    """A problem file is malformed. `path` is the JSON path (or file and line) at fault."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


def problem_schema() -> dict[str, Any]:
    text = resources.files("rempart.planning").joinpath("problem.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _json_path(parts: Any) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _path_of(error: PlanningProblemError, data: dict[str, Any]) -> str:
    """Best JSON path for a dataclass error, from the product/hospital/period it names."""
    if error.hospital and error.product:
        for i, row in enumerate(data.get("demand", [])):
            if row.get("hospital") == error.hospital and row.get("product") == error.product:
                suffix = f".vials[{error.period}]" if error.period is not None else ""
                return f"$.demand[{i}]{suffix}"
    if error.field:
        # A stock lot's errors name its lot_id, a regime's its name, as the field.
        for i, row in enumerate(data.get("lots", [])):
            if row.get("lot_id") == error.field:
                return f"$.lots[{i}]"
        for i, row in enumerate(data.get("regimes", [])):
            if row.get("name") == error.field:
                suffix = f".capacity_hours[{error.period}]" if error.period is not None else ""
                return f"$.regimes[{i}]{suffix}"
    if error.product:
        for i, row in enumerate(data.get("products", [])):
            if row.get("code") == error.product:
                return f"$.products[{i}]" + (f".{error.field}" if error.field else "")
    return f"$.{error.field}" if error.field else "$"


def problem_from_dict(data: Any) -> PlanningProblem:
    """Validate a decoded JSON document and build the problem. Raises ProblemFormatError."""
    validator = jsonschema.Draft202012Validator(problem_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise ProblemFormatError(_json_path(error.absolute_path), error.message)
    try:
        return _build(data)
    except PlanningProblemError as exc:
        raise ProblemFormatError(_path_of(exc, data), str(exc)) from exc


def _build(data: dict[str, Any]) -> PlanningProblem:
    period_days = float(data["period_days"])
    products = tuple(
        PlanProduct(
            code=row["code"],
            criticality=row["criticality"],
            line_hours_per_vial=row["line_hours_per_vial"],
            setup_hours=row["setup_hours"],
            vial_format=row["vial_format"],
            qc_lead_time_days=row.get("qc_lead_time_days", 0.0),
            shelf_life_days=row.get("shelf_life_days"),
            min_residual_days=row.get("min_residual_days", 0.0),
            min_batch_vials=row.get("min_batch_vials", 0.0),
            setup_cost=row.get("setup_cost", 0.0),
            holding_cost_per_vial_period=row.get("holding_cost_per_vial_period", 0.0),
        )
        for row in data["products"]
    )
    demand: dict[tuple[str, str], tuple[float, ...]] = {}
    for i, row in enumerate(data["demand"]):
        key = (row["hospital"], row["product"])
        if key in demand:
            raise ProblemFormatError(f"$.demand[{i}]", f"second demand row for {key}")
        demand[key] = tuple(float(v) for v in row["vials"])
    lots = [
        StockLot(
            lot_id=row["lot_id"],
            product=row["product"],
            quantity_vials=row["quantity_vials"],
            location=row.get("location", "central"),
            release_day=row.get("release_day", 0.0),
            expiry_day=row.get("expiry_day"),
            kind=row.get("kind", "on_hand"),
        )
        for row in data.get("lots", [])
    ]
    for i, row in enumerate(data.get("deliveries", [])):
        if len(row["vials"]) != len(data["periods"]):
            raise ProblemFormatError(
                f"$.deliveries[{i}].vials",
                f"{len(row['vials'])} figures for {len(data['periods'])} periods",
            )
        residual = row.get("expiry_after_days")
        for t, vials in enumerate(row["vials"]):
            if vials > 0:
                arrival = t * period_days
                lots.append(
                    StockLot(
                        lot_id=f"delivery:{row['product']}:{t}",
                        product=row["product"],
                        quantity_vials=vials,
                        release_day=arrival,
                        expiry_day=None if residual is None else arrival + residual,
                        kind="delivery",
                    )
                )
    return PlanningProblem(
        name=data["name"],
        description=data.get("description", ""),
        period_days=period_days,
        period_labels=tuple(data["periods"]),
        products=products,
        hospitals=tuple(PlanHospital(h["code"], h.get("name", "")) for h in data["hospitals"]),
        demand=demand,
        regimes=tuple(
            Regime(
                name=r["name"],
                capacity_hours=tuple(float(v) for v in r["capacity_hours"]),
                capacity_source=r["capacity_source"],
                cost_per_period=r.get("cost_per_period", 0.0),
                switch_on_cost=r.get("switch_on_cost", 0.0),
                min_duration_periods=r.get("min_duration_periods", 1),
            )
            for r in data["regimes"]
        ),
        lots=tuple(lots),
        format_change_hours=data.get("format_change_hours", 0.0),
        allow_unmet_demand=data.get("allow_unmet_demand", True),
        initial_vial_format=data.get("initial_vial_format"),
        prepare_next_format=data.get("prepare_next_format", False),
    )


def problem_to_dict(problem: PlanningProblem) -> dict[str, Any]:
    """The JSON document for a problem (deliveries are written as lots of kind `delivery`)."""
    return {
        "format": FORMAT,
        "name": problem.name,
        "description": problem.description,
        "period_days": problem.period_days,
        "periods": list(problem.period_labels),
        "allow_unmet_demand": problem.allow_unmet_demand,
        "format_change_hours": problem.format_change_hours,
        "initial_vial_format": problem.initial_vial_format,
        "prepare_next_format": problem.prepare_next_format,
        "products": [
            {
                "code": p.code,
                "criticality": p.criticality,
                "line_hours_per_vial": p.line_hours_per_vial,
                "setup_hours": p.setup_hours,
                "vial_format": p.vial_format,
                "qc_lead_time_days": p.qc_lead_time_days,
                "shelf_life_days": p.shelf_life_days,
                "min_residual_days": p.min_residual_days,
                "min_batch_vials": p.min_batch_vials,
                "setup_cost": p.setup_cost,
                "holding_cost_per_vial_period": p.holding_cost_per_vial_period,
            }
            for p in problem.products
        ],
        "hospitals": [{"code": h.code, "name": h.name} for h in problem.hospitals],
        "demand": [
            {"hospital": h, "product": p, "vials": list(series)}
            for (h, p), series in problem.demand.items()
        ],
        "lots": [
            {
                "lot_id": lot.lot_id,
                "product": lot.product,
                "quantity_vials": lot.quantity_vials,
                "location": lot.location,
                "release_day": lot.release_day,
                "expiry_day": lot.expiry_day,
                "kind": lot.kind,
            }
            for lot in problem.lots
        ],
        "regimes": [
            {
                "name": r.name,
                "capacity_hours": list(r.capacity_hours),
                "capacity_source": r.capacity_source,
                "cost_per_period": r.cost_per_period,
                "switch_on_cost": r.switch_on_cost,
                "min_duration_periods": r.min_duration_periods,
            }
            for r in problem.regimes
        ],
    }


def load_problem(path: Path) -> PlanningProblem:
    """Read a rempart JSON problem or a Trigeiro `.DAT` file, chosen by extension."""
    if not path.is_file():
        raise ProblemFormatError(str(path), "no such file")
    if path.suffix.lower() == ".dat":
        try:
            return read_dat(path)
        except DatFormatError as exc:
            raise ProblemFormatError(str(path), str(exc)) from exc
        except PlanningProblemError as exc:
            raise ProblemFormatError(str(path), str(exc)) from exc
    try:
        data = json_text.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ProblemFormatError(
            f"{path}, line {exc.lineno}", f"not valid JSON: {exc.msg}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ProblemFormatError(str(path), f"not UTF-8 text: {exc.reason}") from exc
    return problem_from_dict(data)
