"""Roles of the MES and what each may do: the permissions matrix as data (DOMAIN.md §5-6).

One table serves the pages, the API, the docs and the permission tests. Object-level scoping
(an orderer sees only their hospital) is applied on top of it by the MES queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Role(StrEnum):
    PHARMACIST = "pharmacist"
    TECHNICIAN = "technician"
    QC_ANALYST = "qc_analyst"
    QA_REVIEWER = "qa_reviewer"
    ORDERER = "orderer"
    ADMINISTRATOR = "administrator"


class Action(StrEnum):
    VIEW_CATALOG = "view_catalog"
    VIEW_HOSPITALS = "view_hospitals"
    EDIT_REFERENCE_DATA = "edit_reference_data"
    VIEW_MASTER_RECORDS = "view_master_records"
    DRAFT_MASTER_RECORD = "draft_master_record"
    SUBMIT_MASTER_RECORD = "submit_master_record"
    APPROVE_MASTER_RECORD = "approve_master_record"
    VIEW_AUDIT_TRAIL = "view_audit_trail"
    RECORD_QUALIFICATION = "record_qualification"
    VIEW_OWN_QUALIFICATIONS = "view_own_qualifications"
    MANAGE_USERS = "manage_users"
    RELEASE_BATCH = "release_batch"
    RUN_BATCH = "run_batch"
    RECORD_QC_RESULT = "record_qc_result"
    REVIEW_BATCH_AUDIT_TRAIL = "review_batch_audit_trail"
    VIEW_STOCK = "view_stock"
    MANAGE_STOCK = "manage_stock"
    PRINT_LABELS = "print_labels"
    PLACE_ORDER = "place_order"
    RECEIVE_DELIVERY = "receive_delivery"
    RECALL_LOT = "recall_lot"
    VIEW_SUPPLY = "view_supply"
    IMPORT_SUPPLY_DATA = "import_supply_data"
    PLAN_PRODUCTION = "plan_production"


R = Role
ALL_ROLES = frozenset(Role)
PRODUCTION_STAFF = frozenset({R.PHARMACIST, R.TECHNICIAN, R.QC_ANALYST, R.QA_REVIEWER})

#: Who may do what. The administrator manages users and reference data, never GMP records.
PERMISSIONS: Mapping[Action, frozenset[Role]] = {
    Action.VIEW_CATALOG: ALL_ROLES,
    Action.VIEW_HOSPITALS: ALL_ROLES,
    Action.EDIT_REFERENCE_DATA: frozenset({R.ADMINISTRATOR}),
    Action.VIEW_MASTER_RECORDS: PRODUCTION_STAFF,
    Action.DRAFT_MASTER_RECORD: frozenset({R.PHARMACIST}),
    Action.SUBMIT_MASTER_RECORD: frozenset({R.PHARMACIST}),
    Action.APPROVE_MASTER_RECORD: frozenset({R.PHARMACIST, R.QA_REVIEWER}),
    Action.VIEW_AUDIT_TRAIL: frozenset({R.PHARMACIST, R.QA_REVIEWER}),
    Action.RECORD_QUALIFICATION: frozenset({R.PHARMACIST, R.QA_REVIEWER}),
    Action.VIEW_OWN_QUALIFICATIONS: PRODUCTION_STAFF,
    Action.MANAGE_USERS: frozenset({R.ADMINISTRATOR}),
    Action.RELEASE_BATCH: frozenset({R.PHARMACIST}),
    Action.RUN_BATCH: frozenset({R.TECHNICIAN, R.PHARMACIST}),
    Action.RECORD_QC_RESULT: frozenset({R.QC_ANALYST, R.PHARMACIST}),
    Action.REVIEW_BATCH_AUDIT_TRAIL: frozenset({R.PHARMACIST, R.QA_REVIEWER}),
    # An orderer sees only their own hospital's stock (scoped by the queries).
    Action.VIEW_STOCK: ALL_ROLES - {R.ADMINISTRATOR},
    Action.MANAGE_STOCK: frozenset({R.PHARMACIST, R.TECHNICIAN}),
    Action.PRINT_LABELS: frozenset({R.PHARMACIST, R.TECHNICIAN}),
    Action.PLACE_ORDER: frozenset({R.ORDERER}),
    Action.RECEIVE_DELIVERY: frozenset({R.ORDERER}),
    Action.RECALL_LOT: frozenset({R.PHARMACIST, R.QA_REVIEWER}),
    Action.VIEW_SUPPLY: PRODUCTION_STAFF,
    Action.IMPORT_SUPPLY_DATA: frozenset({R.PHARMACIST, R.QA_REVIEWER}),
    Action.PLAN_PRODUCTION: frozenset({R.PHARMACIST}),
}


def may(role: Role | str | None, action: Action) -> bool:
    """True when `role` may perform `action`; an unknown or missing role may do nothing."""
    if role is None:
        return False
    try:
        return Role(role) in PERMISSIONS[action]
    except ValueError:
        return False
