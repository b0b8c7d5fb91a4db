"""URL routes of the MES."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from rempart.mes.accounts import views as accounts_views
from rempart.mes.api import api
from rempart.mes.audit import views as audit_views
from rempart.mes.catalog import views as catalog_views
from rempart.mes.core import views as core_views
from rempart.mes.machine import urls as machine_urls

catalog_patterns: list[URLPattern | URLResolver] = [
    path("products/", catalog_views.products, name="products"),
    path("products/<str:code>/", catalog_views.product_detail, name="product"),
    path("products/<str:code>/new-version/", catalog_views.new_version, name="new_version"),
    path("molecules/", catalog_views.molecules, name="molecules"),
    path("hospitals/", catalog_views.hospitals, name="hospitals"),
    path("master-records/", catalog_views.master_record_list, name="master_records"),
    path("master-records/<int:pk>/", catalog_views.master_record_detail, name="master_record"),
    path("master-records/<int:pk>/edit/", catalog_views.edit_master_record, name="edit"),
    path("master-records/<int:pk>/submit/", catalog_views.submit_master_record, name="submit"),
    path(
        "master-records/<int:pk>/send-back/",
        catalog_views.send_back_master_record,
        name="send_back",
    ),
    path("master-records/<int:pk>/sign/", catalog_views.sign_master_record, name="sign"),
]


urlpatterns: list[URLPattern | URLResolver] = [
    path("health", core_views.health, name="health"),
    path("", accounts_views.home, name="home"),
    path("accounts/login/", accounts_views.login_view, name="login"),
    path("accounts/logout/", accounts_views.logout_view, name="logout"),
    path(
        "accounts/set-password/<str:uidb64>/<str:token>/",
        accounts_views.set_password_view,
        name="set_password",
    ),
    path("accounts/qualifications/", accounts_views.my_qualifications, name="qualifications"),
    path("catalog/", include((catalog_patterns, "catalog"))),
    path("audit/", include(([path("", audit_views.trail, name="trail")], "audit"))),
    path("supply/", include("rempart.mes.supply.urls")),
    path("quality/", include("rempart.mes.quality.urls")),
    path("qc/", include("rempart.mes.qc.urls")),
    path("release/", include("rempart.mes.release.urls")),
    path("records/", include("rempart.mes.records.urls")),
    path("labels/", include("rempart.mes.labels.urls")),
    path("stock/", include("rempart.mes.stock.urls")),
    path("planning/", include("rempart.mes.planboard.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("batches/", include("rempart.mes.batches.urls")),
    path("line/", include((machine_urls.urlpatterns, "machine"))),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

handler400 = "rempart.mes.core.pages.bad_request"
handler403 = "rempart.mes.core.pages.permission_denied"
handler404 = "rempart.mes.core.pages.not_found"
handler500 = "rempart.mes.core.pages.server_error"
