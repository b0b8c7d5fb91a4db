"""Shared helpers of the shortage-watch tests: the shipped BDPM files and a mivacurium
product (the one curare in tension in the 2025-07-07 files)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pytest

from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.catalog.models import Molecule, Product, VialFormat
from rempart.shortage.bdpm import shipped_data_dir

from ..conftest import World

MIVACRON_CIS = ("65201385", "66387380")


@cache
def shipped(name: str) -> bytes:
    return (shipped_data_dir() / name).read_bytes()


def shipped_files() -> list[tuple[str, bytes]]:
    return [(n, shipped(n)) for n in ("CIS_MITM.txt", "CIS_CIP_Dispo_Spec.txt")]


def availability_back_in_supply() -> bytes:
    """The shipped availability file with mivacurium back in supply (a later import)."""
    lines = []
    for line in shipped("CIS_CIP_Dispo_Spec.txt").decode("utf-8").split("\n"):
        cols = line.split("\t")
        if cols[0] in MIVACRON_CIS:
            cols[2:7] = ["4", "Remise à disposition", "19/11/2024", "01/08/2025", "01/08/2025"]
        lines.append("\t".join(cols))
    return "\n".join(lines).encode("utf-8")


@pytest.fixture
def mivacurium(world: World) -> Product:
    with audited_write(Actor.system("tests")):
        molecule = Molecule.objects.create(inn="mivacurium", atc="M03AC10", mitm=True)
        return Product.objects.create(
            code="MIVA-2-5",
            name="Mivacurium 2 mg/mL, 5 mL",
            molecule=molecule,
            concentration_mg_per_ml=Decimal("2"),
            fill_volume_ml=Decimal("5.3"),
            vial_format=VialFormat.objects.get(code="V10"),
            storage="15-25 °C",
            shelf_life_days=180,
            qc_lead_time_days=15,
            regulatory_status="hospital_preparation",
            criticality=4,
        )
