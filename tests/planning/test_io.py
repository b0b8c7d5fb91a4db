"""JSON format: schema, round trip, errors naming the JSON path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from rempart.planning.example import regional_example
from rempart.planning.io import (
    ProblemFormatError,
    load_problem,
    problem_from_dict,
    problem_schema,
    problem_to_dict,
)


def small_document() -> dict[str, Any]:
    return {
        "format": "rempart-planning-problem/1",
        "name": "small",
        "period_days": 1,
        "periods": ["d0", "d1", "d2"],
        "products": [
            {
                "code": "P",
                "criticality": 5,
                "line_hours_per_vial": 0.01,
                "setup_hours": 3,
                "vial_format": "V5",
                "qc_lead_time_days": 1,
            }
        ],
        "hospitals": [{"code": "H1"}, {"code": "H2"}],
        "demand": [
            {"hospital": "H1", "product": "P", "vials": [0, 10, 10]},
            {"hospital": "H2", "product": "P", "vials": [0, 5, 5]},
        ],
        "deliveries": [{"product": "P", "vials": [0, 0, 4]}],
        "regimes": [
            {"name": "normal", "capacity_hours": [8, 8, 8], "capacity_source": "user figure"}
        ],
    }


def test_schema_is_valid_and_the_example_conforms() -> None:
    schema = problem_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    document = problem_to_dict(regional_example())
    jsonschema.validate(document, schema)
    again = problem_from_dict(json.loads(json.dumps(document)))
    assert problem_to_dict(again) == document


def test_regional_example_has_the_demo_shape() -> None:
    problem = regional_example()
    assert (len(problem.hospitals), len(problem.products), problem.n_periods) == (17, 10, 56)
    assert [r.name for r in problem.regimes] == ["normal", "crisis"]
    curare_deliveries = [
        lot for lot in problem.lots if lot.kind == "delivery" and lot.product.startswith("ATRA")
    ]
    assert curare_deliveries == []
    assert all(r.capacity_source for r in problem.regimes)


def test_deliveries_become_lots() -> None:
    problem = problem_from_dict(small_document())
    [delivery] = [lot for lot in problem.lots if lot.kind == "delivery"]
    assert (delivery.quantity_vials, delivery.release_day) == (4, 2.0)


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["products"][0].update(criticality=9), "$.products[0].criticality"),
        (lambda d: d["demand"][1]["vials"].__setitem__(2, -1), "$.demand[1].vials[2]"),
        (lambda d: d["demand"][1].update(product="NOPE"), "$.demand[1]"),
        (lambda d: d["demand"][0]["vials"].append(3), "$.demand[0]"),
        (lambda d: d["regimes"][0].update(capacity_source=""), "$.regimes[0].capacity_source"),
        (lambda d: d.pop("periods"), "$"),
        (lambda d: d["deliveries"][0]["vials"].pop(), "$.deliveries[0].vials"),
        (lambda d: d["demand"][1]["vials"].__setitem__(2, 1e300), "$.demand[1].vials[2]"),
        (
            lambda d: d["regimes"][0]["capacity_hours"].__setitem__(1, 2e9),
            "$.regimes[0].capacity_hours[1]",
        ),
        (
            lambda d: d.update(lots=[{"lot_id": "L1", "product": "P", "quantity_vials": 1e10}]),
            "$.lots[0]",
        ),
        (
            lambda d: d.update(lots=[{"lot_id": "L1", "product": "Q", "quantity_vials": 10}]),
            "$.lots[0]",
        ),
    ],
)
def test_errors_name_the_json_path(mutate: Any, path: str) -> None:
    document = small_document()
    mutate(document)
    with pytest.raises(ProblemFormatError) as info:
        problem_from_dict(document)
    assert info.value.path == path


def test_a_huge_number_is_refused_with_its_value() -> None:
    document = small_document()
    document["demand"][1]["vials"][2] = 1e300
    with pytest.raises(ProblemFormatError, match=r"demand must be at most 1e\+09, got 1e\+300"):
        problem_from_dict(document)


def test_unknown_product_error_names_product_and_hospital() -> None:
    document = small_document()
    document["demand"][1]["product"] = "NOPE"
    with pytest.raises(ProblemFormatError, match=r"product NOPE, hospital H2"):
        problem_from_dict(document)


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{\n "format": \n}\n')
    with pytest.raises(ProblemFormatError, match="line 3"):
        load_problem(path)


def test_a_file_that_is_not_utf8_text_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"name": "Hôpital"}'.encode("latin-1"))
    with pytest.raises(ProblemFormatError, match=r"latin1\.json: not UTF-8 text"):
        load_problem(path)


def test_a_dat_file_with_a_negative_cost_is_refused_naming_file_line_and_item(
    tmp_path: Path,
) -> None:
    path = tmp_path / "negative.dat"
    # Two items, two periods; item 2 has a negative holding cost.
    path.write_text("2 2\n1\n100\n1 1 1 1\n1 -1 1 1\n5 5\n5 5\n")
    with pytest.raises(ProblemFormatError) as info:
        load_problem(path)
    assert "negative.dat" in str(info.value)
    assert "line 5: the holding cost of item 2 must be >= 0" in str(info.value)
