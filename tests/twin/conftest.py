"""Shared pieces for the twin's tests: a start time, products, lines with chosen losses."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from rempart.domain.catalog import VIAL_FORMATS, demo_products
from rempart.domain.products import Product
from rempart.twin.line import FillingLine
from rempart.twin.params import LineParams

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def product(code: str) -> Product:
    return next(p for p in demo_products() if p.code == code)


def quiet_params(**changes: object) -> LineParams:
    """Default line without random faults or inherent interventions: behaviour in isolation."""
    return dataclasses.replace(
        LineParams(), faults_enabled=False, interventions_enabled=False, **changes
    )


def load(line: FillingLine, batch_id: str, code: str = "ROCU-10-5", quantity: int = 50) -> None:
    p = product(code)
    line.load_batch(batch_id, p, p.vial_format, quantity)


@pytest.fixture
def make_line() -> Callable[..., FillingLine]:
    def build(params: LineParams | None = None, seed: int = 7) -> FillingLine:
        return FillingLine(params or quiet_params(), seed=seed, start=START)

    return build


__all__ = ["START", "VIAL_FORMATS", "load", "product", "quiet_params"]
