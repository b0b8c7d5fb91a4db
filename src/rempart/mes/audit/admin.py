from __future__ import annotations

from django.contrib import admin

from rempart.mes.audit.models import AuditEntry
from rempart.mes.core.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "recorded_at", "printed_name", "action", "entity", "entity_key", "field")
    list_filter = ("entity", "action")
