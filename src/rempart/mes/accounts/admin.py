from __future__ import annotations

from django.contrib import admin

from rempart.mes.accounts.models import Qualification, User
from rempart.mes.core.admin import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    """No password form, no secret shown: people set their own password (invitation link)."""

    list_display = ("username", "printed_name", "role", "hospital", "is_active")
    exclude = ("password", "totp_secret")


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "product", "valid_from", "valid_until")
