"""QC results against versioned specifications: pass/fail, out of specification opens a
deviation, a new specification version supersedes (old results keep theirs), the batch
goes under review with its last result, CSV import all-or-nothing naming the bad lines,
and viable EM results attached to the batches running at the sampled time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rempart.mes.core.errors import Conflict, NotPermitted, Refused
from rempart.mes.qc import services
from rempart.mes.qc.facts import qc_results_table, release_checklist
from rempart.mes.qc.models import QcResult, QcSample, Specification, ViableEmResult
from rempart.mes.quality.models import Deviation
from rempart.mes.quality.services import open_deviations_for
from tests.mes.conftest import World
from tests.twin.conftest import START

from .factories import ended_batch, pass_all, specifications


@pytest.fixture
def batch(world: World):  # type: ignore[no-untyped-def]
    specifications(world.users["qc"], world.product)
    return ended_batch(world, "QC-R-1")


def sample(batch: object, kind: str) -> QcSample:
    return QcSample.objects.get(batch=batch, kind=kind)


def test_results_are_judged_and_the_last_one_puts_the_batch_under_review(
    world: World, batch: object
) -> None:
    qc = world.users["qc"]
    result = services.enter_result(qc, sample(batch, "assay"), "99,8")
    assert (result.status, result.numeric_value) == ("passed", Decimal("99.8"))
    assert result.specification.version == 1
    batch.refresh_from_db()  # type: ignore[attr-defined]
    assert batch.state == "quarantine"  # type: ignore[attr-defined]
    with pytest.raises(Conflict) as again:
        services.enter_result(qc, sample(batch, "assay"), "100")
    assert again.value.field == "sample"
    pass_all(qc, batch)  # type: ignore[arg-type]
    batch.refresh_from_db()  # type: ignore[attr-defined]
    assert batch.state == "under_review"  # type: ignore[attr-defined]
    assert batch.events.last().reason == "all QC results are in"  # type: ignore[attr-defined]
    rows = {r["test"]: r for r in qc_results_table(batch)}  # type: ignore[arg-type]
    assert rows["assay"]["result"] == "99,8"
    assert rows["assay"]["limits"] == "95–105 % label claim"
    assert rows["assay"]["analyst"] == qc.printed_name
    assert rows["assay"]["entered_at"][-6] in "+-"  # ISO with its offset
    assert rows["retention"]["status"] == "retained"


def test_out_of_specification_opens_a_deviation_and_blocks_release(
    world: World, batch: object
) -> None:
    result = services.enter_result(world.users["qc"], sample(batch, "endotoxins"), "0.8")
    assert result.status == "failed"
    deviation = Deviation.objects.get(origin="qc-oos:QC-R-1-END")
    assert result.deviation_number == deviation.number
    assert [d.number for d in open_deviations_for("QC-R-1")] == [deviation.number]
    codes = {r.code.value for r in release_checklist(batch)}  # type: ignore[arg-type]
    assert {"qc_failed", "open_deviation", "qc_pending"} <= codes


def test_a_new_specification_version_supersedes_and_old_results_keep_theirs(
    world: World, batch: object
) -> None:
    qc = world.users["qc"]
    first = services.enter_result(qc, sample(batch, "assay"), "96")
    services.create_specification(
        qc, world.product, test="assay", method="HPLC-UV v2", unit="%", lower="97", upper="103"
    )
    versions = list(
        Specification.objects.filter(product=world.product, test="assay").values_list(
            "version", flat=True
        )
    )
    assert versions == [2, 1]
    second = services.enter_result(qc, sample(batch, "endotoxins"), "0.1")
    assert second.specification.version == 1  # endotoxins kept one version
    first.refresh_from_db()
    assert (first.specification.version, first.status) == (1, "passed")
    other = ended_batch(world, "QC-R-2")
    late = services.enter_result(qc, sample(other, "assay"), "96")
    assert (late.specification.version, late.status) == (2, "failed")


def test_bad_results_and_specifications_are_refused_naming_the_field(
    world: World, batch: object
) -> None:
    qc = world.users["qc"]
    with pytest.raises(Refused) as bad:
        services.enter_result(qc, sample(batch, "assay"), "about 100")
    assert bad.value.field == "value"
    with pytest.raises(Refused) as retention:
        services.enter_result(qc, sample(batch, "retention"), "ok")
    assert retention.value.field == "sample"
    with pytest.raises(NotPermitted):
        services.enter_result(world.users["technician"], sample(batch, "assay"), "100")
    for kwargs, field in (
        ({"test": "colour", "method": "m", "upper": "1"}, "test"),
        ({"test": "assay", "method": " ", "upper": "1"}, "method"),
        ({"test": "assay", "method": "m", "lower": "9", "upper": "1"}, "lower"),
        ({"test": "assay", "method": "m"}, "upper"),
        ({"test": "assay", "method": "m", "upper": "x"}, "upper"),
    ):
        with pytest.raises(Refused) as refused:
            services.create_specification(qc, world.product, **kwargs)  # type: ignore[arg-type]
        assert refused.value.field == field
    assert QcResult.objects.count() == 0


def test_sterility_is_refused_before_the_incubation_ends(world: World) -> None:
    qc = world.users["qc"]
    specifications(qc, world.product)
    batch = ended_batch(world, "QC-R-3")
    sterility = sample(batch, "sterility")
    from rempart.mes.audit.context import Actor, audited_write

    with audited_write(Actor.system("tests"), reason="test: a sample taken today"):
        QcSample.objects.filter(pk=sterility.pk).update(taken_at=datetime.now(UTC))
    with pytest.raises(Refused) as early:
        services.enter_result(qc, sterility, "no growth")
    assert early.value.field == "value"
    assert "incubation" in early.value.message
    with pytest.raises(Refused) as csv_early:
        services.import_results_csv(qc, "sample_id,value\nQC-R-3-ASY,100\nQC-R-3-STE,no growth\n")
    assert csv_early.value.field == "line 3"
    assert "incubation of QC-R-3-STE ends" in csv_early.value.message
    assert QcResult.objects.count() == 0


def test_csv_import_names_every_bad_line_and_writes_nothing(world: World, batch: object) -> None:
    qc = world.users["qc"]
    text = "sample_id,value\nQC-R-1-ASY,100.1\nQC-R-1-END,lots\nNOPE-1,1\nQC-R-1-RET,1\n"
    with pytest.raises(Refused) as refused:
        services.import_results_csv(qc, text)
    assert refused.value.field == "line 3"
    message = refused.value.message
    assert "line 3:" in message
    assert "line 4: no sample 'NOPE-1'" in message
    assert "line 5: QC-R-1-RET is a retention sample" in message
    assert "line 2" not in message
    assert QcResult.objects.count() == 0
    report = services.import_results_csv(
        qc,
        "sample_id;value;comment\n"
        "QC-R-1-ASY;100,1;ok\n"
        "QC-R-1-END;0.1;\n"
        "QC-R-1-VIS;0;\n"
        "QC-R-1-STE;No growth;\n",
    )
    assert report.count == 4
    batch.refresh_from_db()  # type: ignore[attr-defined]
    assert batch.state == "under_review"  # type: ignore[attr-defined]
    with pytest.raises(Refused) as twice:
        services.import_results_csv(qc, "sample_id,value\nQC-R-1-ASY,100\n")
    assert twice.value.field == "line 2"


def test_viable_em_attaches_to_the_batches_running_and_grade_a_growth_opens_a_deviation(
    world: World, batch: object
) -> None:
    qc = world.users["qc"]
    during = START + timedelta(hours=1, minutes=15)  # inside the batch's journal window
    ok = services.record_viable_em(
        qc,
        line_id="L-QC-R-1",
        location="filling needles",
        grade="A",
        sample_type="settle_plate",
        cfu=0,
        sampled_at=during,
        read_at=during + timedelta(days=5),
    )
    assert (ok.level, list(ok.batches.values_list("batch_number", flat=True))) == (
        "ok",
        ["QC-R-1"],
    )
    assert open_deviations_for("QC-R-1") == []
    growth = services.record_viable_em(
        qc,
        line_id="L-QC-R-1",
        location="glove port 2",
        grade="a",
        sample_type="glove_print",
        cfu=1,
        sampled_at=during,
        read_at=during + timedelta(days=5),
    )
    assert growth.level == "action"
    assert growth.deviation_number
    deviation = Deviation.objects.get(source="em_excursion", origin__startswith="viable-em:")
    assert list(deviation.batches.values_list("batch_number", flat=True)) == ["QC-R-1"]
    codes = {r.code.value for r in release_checklist(batch)}  # type: ignore[arg-type]
    assert "em_action_excursion" in codes
    outside = services.record_viable_em(
        qc,
        line_id="L-QC-R-1",
        location="glove port 2",
        grade="A",
        sample_type="glove_print",
        cfu=3,
        sampled_at=during + timedelta(days=3),
        read_at=during + timedelta(days=8),
    )
    assert (outside.level, outside.deviation_number, outside.batches.count()) == ("action", "", 0)
    for kwargs, field in (
        ({"grade": "E"}, "grade"),
        ({"sample_type": "swab"}, "sample_type"),
        ({"cfu": -1}, "cfu"),
        ({"read_at": during - timedelta(hours=1)}, "read_at"),
        ({"sampled_at": during.replace(tzinfo=None)}, "sampled_at"),
        ({"location": ""}, "location"),
    ):
        args: dict[str, object] = {
            "line_id": "L-QC-R-1",
            "location": "x",
            "grade": "A",
            "sample_type": "settle_plate",
            "cfu": 0,
            "sampled_at": during,
            "read_at": during + timedelta(days=5),
            **kwargs,
        }
        with pytest.raises(Refused) as refused:
            services.record_viable_em(qc, **args)  # type: ignore[arg-type]
        assert refused.value.field == field
    assert ViableEmResult.objects.count() == 3


def test_csv_a_nul_or_an_overlong_field_is_named_by_line_not_a_crash(
    world: World, batch: object
) -> None:
    # csv raised "field larger than field limit" (an error 500); PostgreSQL refused the NUL.
    qc = world.users["qc"]
    cases = (
        ("sample_id,value\nQC-R-1-ASY,100\nQC-R-1\x00-END,1\n", "line 3", "NUL characters"),
        ("sample_id,value\nQC-R-1-ASY," + "9" * 200_000 + "\n", "line 2", "not readable as CSV"),
    )
    for text, line, problem in cases:
        with pytest.raises(Refused) as refused:
            services.import_results_csv(qc, text)
        assert refused.value.field == line
        assert refused.value.message.startswith(f"{line}: {problem}")
    assert QcResult.objects.count() == 0
