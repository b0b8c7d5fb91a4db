"""Controlled printing: one label per accepted vial of a released lot, every human-readable
field in the PDF, the DataMatrix read back from the PDF by libdmtx, reprints with a reason,
counts and the reconciliation. A refusal changes nothing."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest

from rempart.domain.gs1 import GS
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.catalog.models import Product
from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.labels import services
from rempart.mes.labels.identity import gtin_for, vial_identity
from rempart.mes.labels.models import LabelCount, LabelPrint
from rempart.mes.stock.models import Lot
from tests.mes.conftest import World

from .conftest import ADDRESS, ISSUER
from .factories import EXPIRY, make_lot
from .pdf import squeezed, symbols_of, text_of

GOOD = [1, 2, 3, 4, 5, 6, 7, 8, 11]


def test_first_print_is_one_label_per_accepted_vial_with_every_field(
    configured: World, lot: Lot
) -> None:
    tech = configured.users["technician"]
    printed = services.print_labels(tech, lot)
    record = printed.record
    assert (record.kind, record.quantity, record.serials) == ("print", 9, "000001-000008,000011")
    assert record.actor == tech.printed_name
    assert record.pdf_sha256 == hashlib.sha256(printed.pdf).hexdigest()
    text = squeezed(text_of(printed.pdf))
    for field in [
        "Rocuronium 10 mg/mL, 10 mL",  # name
        "Substance active : rocuronium",
        "Concentration : 10 mg/mL",
        "Volume : 10,5 mL",
        "Voie : voie intraveineuse",  # route
        "À conserver au réfrigérateur (entre 2 °C et 8 °C)",  # storage
        "Lot : ROC-26-001",
        f"Péremption : {EXPIRY:%d/%m/%Y}",
        "Préparation hospitalière",
        f"{ISSUER}, {ADDRESS}",  # the pharmacy
    ]:
        assert squeezed(field) in text, field
    assert text.count(squeezed("Lot : ROC-26-001")) == 9
    for seq in GOOD:
        identity = vial_identity(lot, seq)
        assert squeezed(f"N° série : {identity.serial}") in text
        assert identity.human_readable() in text
    for seq in (9, 10):  # the rejected vial and the QC sample get no label
        assert f"N°série:{seq:06d}" not in text
    assert "essaiscliniques" not in text


def test_the_pdf_symbols_decode_with_libdmtx_to_the_vials_element_strings(
    configured: World, lot: Lot
) -> None:
    printed = services.print_labels(configured.users["pharmacist"], lot)
    expected = sorted(
        (GS + vial_identity(lot, seq).element_string()).encode("ascii") for seq in GOOD
    )
    assert sorted(symbols_of(printed.pdf)) == expected


def test_printing_for_a_rejected_lot_is_refused_and_writes_nothing(configured: World) -> None:
    lot = make_lot(configured, "ROC-26-R", status="rejected")
    with pytest.raises(Conflict, match="only for a lot in quarantine or released") as caught:
        services.print_labels(configured.users["technician"], lot)
    assert caught.value.field == "status"
    assert not LabelPrint.objects.exists()


def test_a_quarantined_lot_is_labelled_and_its_labels_reconciled_before_release(
    configured: World,
) -> None:
    lot = make_lot(configured, "ROC-26-Q", status="quarantine")
    with audited_write(Actor.system("tests"), reason="expiry known at the fill"):
        Lot.objects.filter(pk=lot.pk).update(expiry_date=EXPIRY)
    lot.refresh_from_db()
    tech = configured.users["technician"]
    printed = services.print_labels(tech, lot)
    assert printed.record.quantity == len(GOOD)
    reconciliation = services.label_reconciliation(lot)
    assert reconciliation is not None
    assert reconciliation.difference == len(GOOD)


def test_second_print_is_refused_and_a_reprint_needs_a_reason(configured: World, lot: Lot) -> None:
    tech = configured.users["technician"]
    services.print_labels(tech, lot, serials=[1, 2, 3])
    with pytest.raises(Refused, match=r"already printed.*000002"):
        services.print_labels(tech, lot, serials=[2, 4])
    rest = services.print_labels(tech, lot)
    assert rest.record.serials == "000004-000008,000011"
    with pytest.raises(Refused, match="every accepted vial"):
        services.print_labels(tech, lot)
    with pytest.raises(Refused, match="needs a reason") as caught:
        services.reprint_labels(tech, lot, reason="  ", serials=[2])
    assert caught.value.field == "reason"
    with pytest.raises(Refused, match="not accepted vials of this lot: 000009"):
        services.reprint_labels(tech, lot, reason="torn", serials=[9])
    assert LabelPrint.objects.count() == 2
    again = services.reprint_labels(tech, lot, reason="label torn at capping", serials=[2])
    assert (again.record.kind, again.record.serials) == ("reprint", "000002")
    assert again.record.reason == "label torn at capping"
    text = squeezed(text_of(again.pdf))
    assert text.count("N°série:") == 1
    assert "N°série:000002" in text


def test_counts_reconcile_with_the_printed_labels(configured: World, lot: Lot) -> None:
    tech = configured.users["technician"]
    assert services.label_reconciliation(lot) is None
    with pytest.raises(Refused, match="only 0 printed labels"):
        services.record_label_count(tech, lot, kind="applied", quantity=1)
    services.print_labels(tech, lot)
    services.reprint_labels(tech, lot, reason="smudged", serials=[5])
    services.record_label_count(tech, lot, kind="applied", quantity=9)
    rec = services.label_reconciliation(lot)
    assert rec is not None
    assert (rec.printed, rec.applied, rec.destroyed, rec.returned, rec.difference) == (
        10,
        9,
        0,
        0,
        1,
    )
    with pytest.raises(Refused, match="need a reason") as caught:
        services.record_label_count(tech, lot, kind="destroyed", quantity=1)
    assert caught.value.field == "reason"
    with pytest.raises(Refused, match="only 1 printed labels"):
        services.record_label_count(tech, lot, kind="returned", quantity=2)
    services.record_label_count(tech, lot, kind="destroyed", quantity=1, reason="smudged label")
    rec = services.label_reconciliation(lot)
    assert rec is not None
    assert rec.difference == 0
    assert LabelCount.objects.count() == 2


def test_a_role_without_print_labels_may_not_print(configured: World, lot: Lot) -> None:
    for name in ("qa", "qc", "orderer_a", "admin"):
        with pytest.raises(NotPermitted):
            services.print_labels(configured.users[name], lot)
    assert not LabelPrint.objects.exists()


def _trial_product(world: World) -> Product:
    with audited_write(Actor.system("tests")):
        product = Product.objects.get(pk=world.product.pk)
        product.pk = None
        product.code = "ROCU-IMP"
        product.name = "Rocuronium 10 mg/mL essai ROC-B"
        product.regulatory_status = "investigational"
        product.trial_reference = "2026-500123-12-00"
        product.concentration_mg_per_ml = Decimal("10")
        product.save()
    return product


def test_clinical_trial_labels_carry_the_trial_content(configured: World) -> None:
    product = _trial_product(configured)
    pharmacist = configured.users["pharmacist"]
    services.set_product_label(pharmacist, product, route="voie intraveineuse")
    lot = make_lot(configured, "IMP-26-001", states=["accepted"] * 2, product=product)
    text = squeezed(text_of(services.print_labels(pharmacist, lot).pdf))
    assert text.count(squeezed("Usage exclusivement réservé aux essais cliniques")) == 2
    assert squeezed("Essai clinique : 2026-500123-12-00") in text
    assert squeezed(f"Promoteur : {ISSUER}") in text
    assert "rocuronium" in text.lower()


def test_a_blinded_trial_label_never_shows_the_molecule(configured: World) -> None:
    product = _trial_product(configured)
    pharmacist = configured.users["pharmacist"]
    services.set_product_label(
        pharmacist, product, route="voie intraveineuse", blinded=True, blinded_name="Produit B"
    )
    lot = make_lot(configured, "IMP-26-002", states=["accepted"] * 3, product=product)
    printed = services.print_labels(pharmacist, lot)
    text = text_of(printed.pdf)
    assert "rocuronium" not in text.lower()
    assert "mg/mL" not in text
    assert squeezed("Produit B") in squeezed(text)
    assert squeezed("Essai clinique : 2026-500123-12-00") in squeezed(text)
    assert len(symbols_of(printed.pdf)) == 3


def test_blinding_is_refused_for_a_hospital_preparation(configured: World) -> None:
    with pytest.raises(Refused, match="only an investigational") as caught:
        services.set_product_label(
            configured.users["pharmacist"],
            configured.product,
            route="IV",
            blinded=True,
            blinded_name="X",
            reason="try",
        )
    assert caught.value.field == "blinded"


def test_missing_route_or_pharmacy_is_refused_naming_it(world: World) -> None:
    lot = make_lot(world)
    with pytest.raises(Refused, match="route") as caught:
        services.print_labels(world.users["technician"], lot)
    assert caught.value.field == "route"
    services.set_product_label(world.users["pharmacist"], world.product, route="IV")
    with pytest.raises(Refused, match="pharmacy") as caught:
        services.print_labels(world.users["technician"], lot)
    assert caught.value.field == "issuer"
    assert not LabelPrint.objects.exists()


def test_label_settings_are_the_pharmacists_and_changes_need_a_reason(configured: World) -> None:
    with pytest.raises(NotPermitted):
        services.set_issuer(configured.users["technician"], name="X", reason="r")
    with pytest.raises(Refused, match="needs a reason"):
        services.set_issuer(configured.users["pharmacist"], name="PUI Roubaix")
    pharmacist = configured.users["pharmacist"]
    with pytest.raises(Refused, match="check digit") as caught:
        services.set_product_label(
            pharmacist, configured.product, gtin="3453120000012", route="IV", reason="GTIN"
        )
    assert caught.value.field == "gtin"
    with pytest.raises(Refused) as caught:
        services.set_product_label(
            pharmacist, configured.product, item_reference="12345678901", route="IV", reason="x"
        )
    assert caught.value.field == "item_reference"
    assert gtin_for(configured.product).startswith("0040")  # unchanged by the refusals
    services.set_product_label(
        pharmacist, configured.product, gtin="3453120000011", route="IV", reason="GTIN allocated"
    )
    assert gtin_for(configured.product) == "03453120000011"


def test_a_released_lot_past_its_expiry_is_refused(configured: World, lot: Lot) -> None:
    with pytest.raises(Refused, match="expired") as caught:
        services.print_labels(configured.users["technician"], lot, today=EXPIRY + timedelta(days=1))
    assert caught.value.field == "expiry"
