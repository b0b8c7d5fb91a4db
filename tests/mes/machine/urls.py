"""The MES routes with the line pages and the EM API of the machine app mounted as the lead
will mount them (/line/ from rempart.mes.machine.urls, the API router under /api/em-test/),
so their tests run before the shared urls.py and api/__init__.py include them."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path
from ninja import NinjaAPI
from ninja.security import django_auth

from rempart.mes import urls as mes_urls
from rempart.mes.api.errors import install_handlers
from rempart.mes.machine import urls as machine_urls
from rempart.mes.machine.api import make_router

api = NinjaAPI(auth=django_auth, urls_namespace="machine-test-api", docs_url=None)
install_handlers(api)
api.add_router("/", make_router())

urlpatterns: list[URLPattern | URLResolver] = [
    path("line/", include((machine_urls.urlpatterns, "machine"))),
    path("api/em-test/", api.urls),
    *(p for p in mes_urls.urlpatterns if str(p.pattern) != "line/"),
]
