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
