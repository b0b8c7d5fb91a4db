"""Reader for the Trigeiro, Thomas & McClain (1989) CLSP `.DAT` files.

Layout: `n T`, an unused `1`, the capacity per period, `n` lines `b h st sc` (capacity per unit,
holding cost, setup time, setup cost), then the demand matrix with periods as rows and items
as columns, **written in column blocks of at most 15 items**: items 1-15 for every period,
then items 16-30 for every period, and so on. A trailer (`Bi hi su su`, `time cost`,
`PSIZE,CV,... = ...`) follows and is ignored.

Quirks tolerated: CRLF line ends, a DOS end-of-file byte (0x1A) followed by NUL padding, tab
separators, numbers with a trailing dot (`17.`) and fractional unit times.

The result is the classic CLSP as a `PlanningProblem`: one site, no QC lead time, no expiry, no
backlog (unmet demand not allowed), setup times consuming capacity, setup and holding costs,
zero initial inventory.
"""

from __future__ import annotations

import math
from pathlib import Path

from rempart.planning.problem import PlanHospital, PlanningProblem, PlanProduct, Regime

BLOCK_ITEMS = 15
SITE = "SITE"


class DatFormatError(ValueError):
    """A `.DAT` file does not follow the Trigeiro layout. Names the file and line."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class _Tokens:
    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.items: list[tuple[str, int]] = [
            (token, number)
            for number, line in enumerate(text.splitlines(), start=1)
            for token in line.split()
        ]
        self.pos = 0

    def number(self, what: str) -> float:
        if self.pos >= len(self.items):
            raise DatFormatError(self.source, None, f"file ends before {what}")
        token, line = self.items[self.pos]
        try:
            value = float(token)
        except ValueError:
            raise DatFormatError(self.source, line, f"expected {what}, found {token!r}") from None
        if not math.isfinite(value) or value < 0:
            raise DatFormatError(self.source, line, f"{what} must be >= 0, found {token!r}")
        self.pos += 1
        return value

    def integer(self, what: str) -> int:
        line = self.items[self.pos][1] if self.pos < len(self.items) else None
        value = self.number(what)
        if value != int(value) or value < 1:
            raise DatFormatError(self.source, line, f"{what} must be a positive integer")
        return int(value)

    def next_is_number(self) -> int | None:
        """Line number of the next token if it is numeric (the trailer is text)."""
        if self.pos >= len(self.items):
            return None
        token, line = self.items[self.pos]
        try:
            float(token)
        except ValueError:
            return None
        return line


def decode_dat(raw: bytes) -> str:
    """Bytes to text: drop everything from a DOS EOF byte (0x1A) on, and stray NULs."""
    end = raw.find(b"\x1a")
    if end >= 0:
        raw = raw[:end]
    return raw.replace(b"\x00", b"").decode("latin-1")


def parse_dat(text: str, name: str = "trigeiro") -> PlanningProblem:
    """Parse the text of a Trigeiro `.DAT` file into the classic CLSP problem."""
    tokens = _Tokens(text, name)
    n_items = tokens.integer("the number of items")
    n_periods = tokens.integer("the number of periods")
    tokens.number("the unused constant")
    capacity = tokens.number("the capacity per period")
    products = []
    for i in range(n_items):
        label = f"item {i + 1}"
        per_unit = tokens.number(f"the capacity per unit of {label}")
        holding = tokens.number(f"the holding cost of {label}")
        setup_time = tokens.number(f"the setup time of {label}")
        setup_cost = tokens.number(f"the setup cost of {label}")
        if per_unit <= 0:
            line = tokens.items[tokens.pos - 4][1]
            raise DatFormatError(name, line, f"the capacity per unit of {label} must be > 0")
        products.append(
            PlanProduct(
                code=f"I{i + 1:02d}",
                criticality=1,
                line_hours_per_vial=per_unit,
                setup_hours=setup_time,
                vial_format="any",
                setup_cost=setup_cost,
                holding_cost_per_vial_period=holding,
            )
        )
    demand = [[0.0] * n_periods for _ in range(n_items)]
    for first in range(0, n_items, BLOCK_ITEMS):
        width = min(BLOCK_ITEMS, n_items - first)
        for t in range(n_periods):
            for j in range(width):
                demand[first + j][t] = tokens.number(
                    f"the demand of item {first + j + 1} in period {t + 1}"
                )
    extra = tokens.next_is_number()
    if extra is not None:
        raise DatFormatError(
            name, extra, "more numbers than n x T demands: the item or period count is wrong"
        )
    return PlanningProblem(
        name=name,
        period_days=1.0,
        period_labels=tuple(f"t{t + 1}" for t in range(n_periods)),
        products=tuple(products),
        hospitals=(PlanHospital(SITE, "single site"),),
        demand={(SITE, p.code): tuple(demand[i]) for i, p in enumerate(products)},
        regimes=(
            Regime(
                "fixed",
                (capacity,) * n_periods,
                capacity_source="capacity per period given by the instance file",
            ),
        ),
        allow_unmet_demand=False,
        description=f"Trigeiro CLSP instance {name}: {n_items} items, {n_periods} periods",
    )


def read_dat(path: Path) -> PlanningProblem:
    return parse_dat(decode_dat(path.read_bytes()), name=path.stem)
