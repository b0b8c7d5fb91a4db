"""The MES routes with the batch and quality pages included from their apps' `urls.py`
(what rempart.mes.urls is asked to do): the batch and quality tests use this URL conf,
so they pass whether or not the project's URL conf has been switched yet."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from rempart.mes import urls as project

urlpatterns: list[URLPattern | URLResolver] = [
    path("batches/", include("rempart.mes.batches.urls")),
    path("quality/", include("rempart.mes.quality.urls")),
    *(p for p in project.urlpatterns if str(p.pattern) not in ("batches/", "quality/")),
]

handler400 = project.handler400
handler403 = project.handler403
handler404 = project.handler404
handler500 = project.handler500
