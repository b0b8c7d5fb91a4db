"""A batch on the line: what was loaded, and the running counts per terminal state."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rempart.domain.errors import InvalidValue
from rempart.domain.products import Product, VialFormat

MAX_BATCH_VIALS = 100_000


class TerminalState(StrEnum):
    """Where each vial ends, exactly once (DOMAIN.md §3, vial rule 2)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    QC_SAMPLE = "qc_sample"
    DESTROYED = "destroyed"


@dataclass(frozen=True, slots=True)
class BatchOrder:
    """What `load_batch` receives: the batch, the product and vial format, the vials to fill."""

    batch_id: str
    product: Product
    vial_format: VialFormat
    target_quantity: int

    def __post_init__(self) -> None:
        if not self.batch_id.strip() or len(self.batch_id) > 64:
            raise InvalidValue("a batch id has 1 to 64 characters", field="batch_id")
        if not self.batch_id.isprintable():
            raise InvalidValue("a batch id has no control characters", field="batch_id")
        if isinstance(self.target_quantity, bool) or not isinstance(self.target_quantity, int):
            raise InvalidValue("a whole number of vials", field="target_quantity")
        if not 1 <= self.target_quantity <= MAX_BATCH_VIALS:
            raise InvalidValue(
                f"between 1 and {MAX_BATCH_VIALS} vials, got {self.target_quantity}",
                field="target_quantity",
            )
        if self.product.fill_volume > self.vial_format.capacity:
            raise InvalidValue(
                f"{self.product.code} fills {self.product.fill_volume}, a "
                f"{self.vial_format.code} vial holds {self.vial_format.capacity}",
                field="vial_format",
            )

    @property
    def fill_ml(self) -> float:
        return float(self.product.fill_volume.amount)

    @property
    def concentration_mg_per_ml(self) -> float:
        return float(self.product.concentration.amount)


@dataclass(slots=True)
class BatchRun:
    """Counts of one batch while it runs. `issued` is the last vial sequence number given."""

    order: BatchOrder
    issued: int = 0
    counts: dict[TerminalState, int] = field(
        default_factory=lambda: dict.fromkeys(TerminalState, 0)
    )
    qc_taken_at_start: int = 0
    started: bool = False
    glove_ports_used: set[str] = field(default_factory=set)
    execute_started_s: float | None = None
    #: Per-vial constants, converted from Decimal once rather than for every vial.
    fill_ml: float = field(init=False)
    concentration_mg_per_ml: float = field(init=False)
    target_mg: float = field(init=False)

    def __post_init__(self) -> None:
        self.fill_ml = self.order.fill_ml
        self.concentration_mg_per_ml = self.order.concentration_mg_per_ml
        self.target_mg = round(self.fill_ml * self.concentration_mg_per_ml, 4)

    @property
    def batch_id(self) -> str:
        return self.order.batch_id

    @property
    def good(self) -> int:
        return self.counts[TerminalState.ACCEPTED] + self.counts[TerminalState.QC_SAMPLE]

    @property
    def remaining(self) -> int:
        return self.order.target_quantity - self.issued

    def summary(self) -> dict[str, int]:
        """Reconciliation: issued = accepted + rejected + QC samples + destroyed."""
        return {"vials_issued": self.issued, **{str(k): v for k, v in self.counts.items()}}
