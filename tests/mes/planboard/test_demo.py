"""The demo forecasts give the board a regional problem to build."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rempart.mes.catalog.demo import load_demo
from rempart.mes.planboard.build import BoardParameters, build_problem
from rempart.mes.planboard.demo import load_demo_forecasts
from rempart.mes.supply.models import ConsumptionForecast


@pytest.mark.django_db
def test_demo_forecasts_entered_once_and_the_region_builds() -> None:
    lines: list[str] = []
    load_demo(lines.append)
    load_demo_forecasts(lines.append)
    count = ConsumptionForecast.objects.count()
    assert count > 0
    load_demo_forecasts(lines.append)
    assert ConsumptionForecast.objects.count() == count
    assert lines[-1] == "planning board: forecasts already entered"
    built = build_problem(
        BoardParameters(
            start=datetime.now(UTC).date(),
            days=14,
            normal_vials_per_day=1920,
            normal_source="user figure",
        )
    )
    assert len(built.problem.hospitals) == len(
        {f.hospital_id for f in ConsumptionForecast.objects.all()}
    )
    assert built.problem.products
