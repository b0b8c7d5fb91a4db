"""The JSON API (django-ninja) under /api/, OpenAPI at /api/openapi.json.

Authentication is the browser session (ninja's `django_auth`, which runs Django's CSRF check
on every unsafe method): the same people and the same permission checks (the services') as
the pages. Every error is a JSON body `{"message": ..., "field": ...}`; no stack trace is
ever sent.
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from rempart.mes.api import accounts, audit, catalog
from rempart.mes.api import batches as batches_api
from rempart.mes.api.errors import install_handlers
from rempart.mes.labels.api import router as labels_router
from rempart.mes.machine.api import router as machine_router
from rempart.mes.planboard.api import router as planboard_router
from rempart.mes.qc.api import router as qc_router
from rempart.mes.records.api import router as records_router
from rempart.mes.release.api import router as release_router
from rempart.mes.stock.api import router as stock_router

api = NinjaAPI(
    title="rempart MES",
    version="1",
    description="Records core: people, catalogue, master batch records, signatures, audit trail.",
    auth=django_auth,
    urls_namespace="api",
)
install_handlers(api)
api.add_router("/", accounts.router)
api.add_router("/", catalog.router)
api.add_router("/", audit.router)
api.add_router("/", batches_api.router)
api.add_router("/", qc_router)
api.add_router("/", release_router)
api.add_router("/", records_router)
api.add_router("/", labels_router)
api.add_router("/", stock_router)
api.add_router("/", planboard_router)
api.add_router("/", machine_router)
