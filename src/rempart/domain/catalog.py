"""The demo catalogue: critical anaesthesia and ICU injectables as ready-to-use products.

Concentrations follow usual French presentations (DOMAIN.md §4). Which products Lille really
makes, their fill volumes and shelf lives are not published: every number below is an
assumption for the demo (**[A]**) and is product master data in the MES, never a constant
that code relies on.
"""

from __future__ import annotations

from rempart.domain.products import (
    Molecule,
    Product,
    RegulatoryStatus,
    Storage,
    VialFormat,
)
from rempart.domain.units import mg_per_ml, ml

MOLECULES: dict[str, Molecule] = {
    m.inn: m
    for m in (
        Molecule("atracurium", "M03AC04", mitm=True),
        Molecule("cisatracurium", "M03AC11", mitm=True),
        Molecule("rocuronium", "M03AC09", mitm=True),
        Molecule("suxamethonium", "M03AB01", mitm=True),
        Molecule("mivacurium", "M03AC10", mitm=True),
        Molecule("midazolam", "N05CD08", mitm=True),
        Molecule("norepinephrine", "C01CA03", mitm=True),
        Molecule("ketamine", "N01AX03", mitm=True),
        # Propofol is watched for shortages but not producible here (emulsion, 100 mL).
        Molecule("propofol", "N01AX10", mitm=True),
    )
}

VIAL_FORMATS: dict[str, VialFormat] = {
    f.code: f
    for f in (
        VialFormat("V2", ml(2), ml("2.8")),
        VialFormat("V5", ml(5), ml(6)),
        VialFormat("V10", ml(10), ml(12)),
        VialFormat("V20", ml(20), ml(24)),
        VialFormat("V30", ml(30), ml(35)),
        VialFormat("V50", ml(50), ml(58)),
    )
}


def _product(
    code: str,
    name: str,
    inn: str,
    mg_ml: str,
    fill_ml: str,
    fmt: str,
    storage: Storage,
    criticality: int,
) -> Product:
    return Product(
        code=code,
        name=name,
        molecule=MOLECULES[inn],
        concentration=mg_per_ml(mg_ml),
        fill_volume=ml(fill_ml),
        vial_format=VIAL_FORMATS[fmt],
        storage=storage,
        shelf_life_days=180,
        qc_lead_time_days=15,
        regulatory_status=RegulatoryStatus.HOSPITAL_PREPARATION,
        criticality=criticality,
    )


def demo_products() -> list[Product]:
    """Ten producible products; curares are the most critical (ICU first)."""
    cold, room = Storage.REFRIGERATED, Storage.ROOM_TEMPERATURE
    return [
        _product(
            "ATRA-10-5", "Atracurium 10 mg/mL, 5 mL", "atracurium", "10", "5.3", "V5", cold, 5
        ),
        _product(
            "CISA-2-10",
            "Cisatracurium 2 mg/mL, 10 mL",
            "cisatracurium",
            "2",
            "10.5",
            "V10",
            cold,
            5,
        ),
        _product(
            "CISA-5-30",
            "Cisatracurium 5 mg/mL, 30 mL",
            "cisatracurium",
            "5",
            "30.6",
            "V30",
            cold,
            5,
        ),
        _product(
            "ROCU-10-5", "Rocuronium 10 mg/mL, 5 mL", "rocuronium", "10", "5.3", "V5", cold, 5
        ),
        _product(
            "ROCU-10-10", "Rocuronium 10 mg/mL, 10 mL", "rocuronium", "10", "10.5", "V10", cold, 5
        ),
        _product(
            "SUXA-50-2",
            "Suxamethonium 50 mg/mL, 2 mL",
            "suxamethonium",
            "50",
            "2.15",
            "V2",
            cold,
            4,
        ),
        _product(
            "MIVA-2-10", "Mivacurium 2 mg/mL, 10 mL", "mivacurium", "2", "10.5", "V10", room, 3
        ),
        _product("MIDA-1-50", "Midazolam 1 mg/mL, 50 mL", "midazolam", "1", "51", "V50", room, 4),
        _product(
            "NORA-02-50",
            "Norépinéphrine 0,2 mg/mL, 50 mL",
            "norepinephrine",
            "0.2",
            "51",
            "V50",
            room,
            5,
        ),
        _product(
            "KETA-10-20", "Kétamine 10 mg/mL, 20 mL", "ketamine", "10", "20.6", "V20", room, 3
        ),
    ]
