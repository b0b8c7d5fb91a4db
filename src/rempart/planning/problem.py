"""A production-planning problem as validated, frozen dataclasses (no solver, no I/O).

Time is a sequence of equal periods (days or shifts) of `period_days` each; period k spans days
[k·period_days, (k+1)·period_days) from the start of the horizon. Capacity is counted in line
hours: a product uses `line_hours_per_vial` per vial filled and `setup_hours` per lot, and each
regime gives the line hours available per period. For the Trigeiro instances the "hours" are
the instances' abstract capacity units.

A problem that cannot be planned raises `PlanningProblemError`, which names the product,
hospital and period at fault.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

CENTRAL = "central"
"""Location of stock held by the central (producing) pharmacy rather than by a hospital."""


class PlanningProblemError(ValueError):
    """A planning problem is inconsistent. Names the product, hospital and period at fault."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        product: str | None = None,
        hospital: str | None = None,
        period: int | None = None,
    ) -> None:
        self.message = message
        self.field = field
        self.product = product
        self.hospital = hospital
        self.period = period
        where = [
            f"{name} {value}"
            for name, value in (
                ("field", field),
                ("product", product),
                ("hospital", hospital),
                ("period", period),
            )
            if value is not None
        ]
        super().__init__(f"{message} ({', '.join(where)})" if where else message)


#: The largest quantity, duration or cost a problem may hold. A billion vials, hours or euros
#: is far beyond any real figure; larger numbers are typing errors, and they would reach HiGHS
#: (which treats 1e20 as infinite and loses precision well before that) as nonsense.
MAX_VALUE = 1e9
#: The most production arcs (product x filling period x usable period) a problem may have.
#: 2.6 million arcs took 6.7 GB and about 30 s to build before the first stage on these
#: machines; the regional demo has at most 8,610 (6,027 once demand is known).
MAX_PRODUCTION_ARCS = 1_000_000


def _finite_non_negative(
    value: float,
    what: str,
    *,
    field: str | None = None,
    product: str | None = None,
    hospital: str | None = None,
    period: int | None = None,
) -> None:
    if not math.isfinite(value) or value < 0:
        problem = f"must be a finite number >= 0, got {value}"
    elif value > MAX_VALUE:
        problem = f"must be at most {MAX_VALUE:.0e}, got {value:g}"
    else:
        return
    raise PlanningProblemError(
        f"{what} {problem}", field=field, product=product, hospital=hospital, period=period
    )


@dataclass(frozen=True, slots=True)
class PlanProduct:
    """A product as planning sees it: capacity use, windows, costs and clinical criticality."""

    code: str
    criticality: int
    line_hours_per_vial: float
    setup_hours: float
    vial_format: str
    qc_lead_time_days: float = 0.0
    shelf_life_days: float | None = None
    min_residual_days: float = 0.0
    min_batch_vials: float = 0.0
    setup_cost: float = 0.0
    holding_cost_per_vial_period: float = 0.0

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise PlanningProblemError("a product code must not be empty", field="code")
        p = self.code
        if not 1 <= self.criticality <= 5:
            raise PlanningProblemError(
                f"criticality must be 1..5, got {self.criticality}",
                field="criticality",
                product=p,
            )
        if not math.isfinite(self.line_hours_per_vial) or self.line_hours_per_vial <= 0:
            raise PlanningProblemError(
                f"line_hours_per_vial must be > 0, got {self.line_hours_per_vial}",
                field="line_hours_per_vial",
                product=p,
            )
        for name in (
            "setup_hours",
            "qc_lead_time_days",
            "min_residual_days",
            "min_batch_vials",
            "setup_cost",
            "holding_cost_per_vial_period",
        ):
            _finite_non_negative(getattr(self, name), name, field=name, product=p)
        if self.shelf_life_days is not None:
            _finite_non_negative(self.shelf_life_days, "shelf_life_days", product=p)
            if self.shelf_life_days - self.min_residual_days < self.qc_lead_time_days:
                raise PlanningProblemError(
                    "shelf life minus minimum residual is shorter than the QC lead time: "
                    "no vial could ever be delivered",
                    field="shelf_life_days",
                    product=p,
                )


@dataclass(frozen=True, slots=True)
class PlanHospital:
    code: str
    name: str = ""

    def __post_init__(self) -> None:
        if not self.code.strip() or self.code == CENTRAL:
            raise PlanningProblemError(
                f"a hospital code must be non-empty and not {CENTRAL!r}", field="code"
            )


@dataclass(frozen=True, slots=True)
class StockLot:
    """Vials that exist or will arrive: on hand, in QC quarantine, or an industry delivery.

    Usable from `release_day` (0 for stock on hand; the QC release date for quarantine; the
    arrival for a delivery) until `expiry_day` minus the product's minimum residual shelf life.
    `location` is `central` or a hospital code (a hospital's own stock serves only itself).
    """

    lot_id: str
    product: str
    quantity_vials: float
    location: str = CENTRAL
    release_day: float = 0.0
    expiry_day: float | None = None
    kind: str = "on_hand"

    def __post_init__(self) -> None:
        _finite_non_negative(
            self.quantity_vials, "quantity_vials", product=self.product, field=self.lot_id
        )
        _finite_non_negative(
            self.release_day, "release_day", product=self.product, field=self.lot_id
        )
        if self.kind not in ("on_hand", "quarantine", "delivery"):
            raise PlanningProblemError(
                f"lot kind must be on_hand, quarantine or delivery, got {self.kind!r}",
                field=self.lot_id,
                product=self.product,
            )


@dataclass(frozen=True, slots=True)
class Regime:
    """An operating regime of the line (normal shifts, 24/7 crisis) as a capacity calendar.

    `capacity_hours` is per period and must come from a stated source (`capacity_source`: a
    user figure, or the twin's Monte Carlo P50), never from the nameplate rate alone.
    """

    name: str
    capacity_hours: tuple[float, ...]
    capacity_source: str
    cost_per_period: float = 0.0
    switch_on_cost: float = 0.0
    min_duration_periods: int = 1

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise PlanningProblemError("a regime name must not be empty", field="regimes")
        if not self.capacity_source.strip():
            raise PlanningProblemError(
                f"regime {self.name!r} needs a capacity_source (user figure, twin P50...)",
                field="capacity_source",
            )
        for t, hours in enumerate(self.capacity_hours):
            _finite_non_negative(
                hours, f"regime {self.name} capacity_hours", field=self.name, period=t
            )
        _finite_non_negative(self.cost_per_period, "cost_per_period", field=self.name)
        _finite_non_negative(self.switch_on_cost, "switch_on_cost", field=self.name)
        if self.min_duration_periods < 1:
            raise PlanningProblemError(
                "min_duration_periods must be >= 1", field=f"regime {self.name}"
            )


def hours_from_vials(
    vials_per_period: tuple[float, ...], run_rate_vials_per_hour: float
) -> tuple[float, ...]:
    """Capacity figures given in vials (a user figure, the twin's Monte Carlo P50) as line hours.

    Products then use `1 / run_rate_vials_per_hour` line hours per vial, so a figure of N
    vials per period fills exactly N vials when no setup is made.
    """
    if not math.isfinite(run_rate_vials_per_hour) or run_rate_vials_per_hour <= 0:
        raise PlanningProblemError("the run rate must be > 0 vials per hour", field="run_rate")
    return tuple(vials / run_rate_vials_per_hour for vials in vials_per_period)


@dataclass(frozen=True, slots=True)
class PlanningProblem:
    """Everything the model needs. `regimes[0]` is the regime in force before period 0."""

    name: str
    period_days: float
    period_labels: tuple[str, ...]
    products: tuple[PlanProduct, ...]
    hospitals: tuple[PlanHospital, ...]
    demand: Mapping[tuple[str, str], tuple[float, ...]]
    regimes: tuple[Regime, ...]
    lots: tuple[StockLot, ...] = ()
    format_change_hours: float = 0.0
    allow_unmet_demand: bool = True
    description: str = ""
    #: The vial format the line is set up for before period 0; None when unknown (the first
    #: format filled then needs no change, as if the line had been left in it).
    initial_vial_format: str | None = None
    #: Whether a period may end with a format change made after its lots, without filling
    #: the new format, to set the line up for the next period (decision 0016).
    prepare_next_format: bool = False
    product_index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not math.isfinite(self.period_days) or self.period_days <= 0:
            raise PlanningProblemError("period_days must be > 0", field="period_days")
        n = len(self.period_labels)
        if n == 0:
            raise PlanningProblemError("the horizon has no periods", field="period_labels")
        if not self.products:
            raise PlanningProblemError("the problem has no products", field="products")
        if not self.hospitals:
            raise PlanningProblemError("the problem has no hospitals", field="hospitals")
        if not self.regimes:
            raise PlanningProblemError("the problem has no regime", field="regimes")
        _finite_non_negative(self.format_change_hours, "format_change_hours")
        codes = [p.code for p in self.products]
        _no_duplicates(codes, "products")
        _no_duplicates([h.code for h in self.hospitals], "hospitals")
        _no_duplicates([r.name for r in self.regimes], "regimes")
        _no_duplicates([lot.lot_id for lot in self.lots], "lots")
        formats = {p.vial_format for p in self.products}
        if self.initial_vial_format is not None and self.initial_vial_format not in formats:
            raise PlanningProblemError(
                f"initial vial format {self.initial_vial_format!r} is not the format of any "
                f"product ({', '.join(sorted(formats))})",
                field="initial_vial_format",
            )
        object.__setattr__(self, "product_index", {c: i for i, c in enumerate(codes)})
        hospitals = {h.code for h in self.hospitals}
        for regime in self.regimes:
            if len(regime.capacity_hours) != n:
                raise PlanningProblemError(
                    f"regime {regime.name!r} has {len(regime.capacity_hours)} capacity "
                    f"figures for {n} periods",
                    field="capacity_hours",
                )
        for (hospital, product), series in self.demand.items():
            if product not in self.product_index:
                raise PlanningProblemError(
                    "demand for an unknown product", product=product, hospital=hospital
                )
            if hospital not in hospitals:
                raise PlanningProblemError(
                    "demand from an unknown hospital", product=product, hospital=hospital
                )
            if len(series) != n:
                raise PlanningProblemError(
                    f"demand has {len(series)} values for {n} periods",
                    product=product,
                    hospital=hospital,
                )
            for t, vials in enumerate(series):
                _finite_non_negative(vials, "demand", product=product, hospital=hospital, period=t)
        for lot in self.lots:
            if lot.product not in self.product_index:
                raise PlanningProblemError(
                    "stock lot of an unknown product", product=lot.product, field=lot.lot_id
                )
            if lot.location != CENTRAL and lot.location not in hospitals:
                raise PlanningProblemError(
                    "stock lot at an unknown location",
                    hospital=lot.location,
                    product=lot.product,
                    field=lot.lot_id,
                )
        if not self.allow_unmet_demand:
            self._check_no_early_demand()
        arcs = self.production_arcs_at_most()
        if arcs > MAX_PRODUCTION_ARCS:
            raise PlanningProblemError(
                f"{n} periods give up to {arcs:,} production arcs (product x filling period "
                f"x usable period), more than {MAX_PRODUCTION_ARCS:,}: plan a shorter horizon "
                "or longer periods (period_days)",
                field="periods",
            )

    def production_arcs_at_most(self) -> int:
        """Arcs from filling to consumption periods the model may need, before demand is known."""
        total = 0
        for product in self.products:
            lag = self.release_lag_periods(product)
            span = self.usable_span_periods(product)
            # Filling period t serves min(n - lag - t, window) periods: sum over the m periods
            # whose window is not empty, from the last (1 period) to the first (m periods).
            m = max(0, self.n_periods - lag)
            window = m if span is None else max(0, min(m, span - lag + 1))
            total += window * (window + 1) // 2 + (m - window) * window
        return total

    def _check_no_early_demand(self) -> None:
        """Without unmet demand, demand before the first release needs stock: say which."""
        for (hospital, product), series in self.demand.items():
            first = self.release_lag_periods(self.products[self.product_index[product]])
            for t in range(min(first, len(series))):
                if series[t] > 0 and not any(lot.product == product for lot in self.lots):
                    raise PlanningProblemError(
                        "demand before the first possible QC release, with no stock and "
                        "unmet demand not allowed: the problem is infeasible",
                        product=product,
                        hospital=hospital,
                        period=t,
                    )

    @property
    def n_periods(self) -> int:
        return len(self.period_labels)

    def product(self, code: str) -> PlanProduct:
        return self.products[self.product_index[code]]

    def release_lag_periods(self, product: PlanProduct) -> int:
        """Periods from filling to QC release: a vial filled in t is usable from t + lag."""
        return math.ceil(product.qc_lead_time_days / self.period_days - 1e-9)

    def usable_span_periods(self, product: PlanProduct) -> int | None:
        """Last usable period after filling, relative to t, or None when it never expires."""
        if product.shelf_life_days is None:
            return None
        span_days = product.shelf_life_days - product.min_residual_days
        return math.floor(span_days / self.period_days + 1e-9)

    def consumption_window(self, product: PlanProduct, t: int) -> range:
        """Periods k that a vial of `product` filled in period t can serve (the QC/expiry arc)."""
        first = t + self.release_lag_periods(product)
        span = self.usable_span_periods(product)
        last = self.n_periods - 1 if span is None else min(self.n_periods - 1, t + span)
        return range(first, last + 1)

    def lot_window(self, lot: StockLot) -> range:
        """Periods in which a stock lot can be used, from release to expiry - minimum residual."""
        first = math.ceil(lot.release_day / self.period_days - 1e-9)
        last = self.n_periods - 1
        if lot.expiry_day is not None:
            residual = self.product(lot.product).min_residual_days
            last = min(last, math.floor((lot.expiry_day - residual) / self.period_days + 1e-9))
        return range(first, last + 1)

    def total_demand(self, product: str, period: int) -> float:
        return sum(series[period] for (_, p), series in self.demand.items() if p == product)


def _no_duplicates(codes: list[str], what: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise PlanningProblemError(f"duplicate code {code!r}", field=what)
        seen.add(code)
