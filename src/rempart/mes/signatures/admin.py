from __future__ import annotations

from django.contrib import admin

from rempart.mes.core.admin import ReadOnlyAdmin
from rempart.mes.signatures.models import Signature


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ("signed_at", "printed_name", "meaning", "entity", "entity_key")
