from dataclasses import replace

import pytest

from rempart.domain.catalog import MOLECULES, VIAL_FORMATS, demo_products
from rempart.domain.errors import InvalidValue
from rempart.domain.products import Molecule, Product, RegulatoryStatus, Storage, VialFormat
from rempart.domain.units import mg, mg_per_ml, ml


def _cisatracurium() -> Product:
    return Product(
        code="CISA-5-30",
        name="Cisatracurium 5 mg/mL, 30 mL",
        molecule=MOLECULES["cisatracurium"],
        concentration=mg_per_ml(5),
        fill_volume=ml(30),
        vial_format=VIAL_FORMATS["V30"],
        storage=Storage.REFRIGERATED,
        shelf_life_days=180,
        regulatory_status=RegulatoryStatus.HOSPITAL_PREPARATION,
    )


def test_dose_per_vial() -> None:
    assert _cisatracurium().dose_per_vial == mg(150)


def test_demo_catalogue_is_valid_and_unique() -> None:
    products = demo_products()
    assert len(products) == 10
    assert len({p.code for p in products}) == 10


@pytest.mark.parametrize("volume", [0, "0.5", 51, 100])
def test_vial_format_outside_1_to_50_ml(volume: object) -> None:
    with pytest.raises(InvalidValue) as err:
        VialFormat("X", ml(volume))  # type: ignore[arg-type]
    assert err.value.field == "nominal_volume"


def test_brimful_below_nominal_refused() -> None:
    with pytest.raises(InvalidValue) as err:
        VialFormat("X", ml(10), ml(9))
    assert err.value.field == "brimful_volume"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": " "}, "code"),
        ({"name": ""}, "name"),
        ({"concentration": mg_per_ml(0)}, "concentration"),
        ({"fill_volume": ml(0)}, "fill_volume"),
        ({"fill_volume": ml(40)}, "fill_volume"),
        ({"shelf_life_days": 0}, "shelf_life_days"),
        ({"qc_lead_time_days": -1}, "qc_lead_time_days"),
        ({"qc_lead_time_days": 200}, "qc_lead_time_days"),
        ({"criticality": 6}, "criticality"),
        ({"regulatory_status": RegulatoryStatus.INVESTIGATIONAL}, "trial_reference"),
        ({"trial_reference": "EU-CT 2024-0001"}, "trial_reference"),
    ],
)
def test_bad_product_names_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue) as err:
        replace(_cisatracurium(), **changes)  # type: ignore[arg-type]
    assert err.value.field == field


def test_investigational_product_with_trial_reference() -> None:
    imp = replace(
        _cisatracurium(),
        regulatory_status=RegulatoryStatus.INVESTIGATIONAL,
        trial_reference="EU-CT 2024-500123-12",
    )
    assert imp.trial_reference


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"inn": " ", "atc": "M03AC11"}, "inn"),
        ({"inn": "x", "atc": "M03"}, "atc"),
        ({"inn": "x", "atc": "M03AC11", "cis_codes": ("123",)}, "cis_codes"),
    ],
)
def test_bad_molecule(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue) as err:
        Molecule(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
