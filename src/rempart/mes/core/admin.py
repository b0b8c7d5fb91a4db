"""Django admin bases: GMP records read-only for everyone; reference data editable by the
administrator through the same service (validation, reason, audit) as every other writer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from rempart.mes.accounts.models import User
from rempart.mes.catalog.services.reference import save_reference, validate_reference
from rempart.mes.core.errors import Refused


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """GMP records: view only. Changes go through the named services, with signatures."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReferenceForm(forms.ModelForm):  # type: ignore[type-arg]
    change_reason = forms.CharField(
        required=False, max_length=500, help_text="Required when changing an existing record."
    )

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # a private hook the stubs omit
        if self.instance.pk is not None and not self.cleaned_data.get("change_reason", "").strip():
            self.add_error("change_reason", "say why this reference data changes")
        try:
            validate_reference(self.instance)
        except Refused as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error(field, exc.message)


class ReferenceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Reference data: the administrator adds and changes (with a reason); nobody deletes."""

    form = ReferenceForm

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        user = request.user
        assert isinstance(user, User)
        save_reference(
            user,
            obj,
            reason=form.cleaned_data.get("change_reason", ""),
            request_id=str(request.META.get("REMPART_REQUEST_ID", "")),
        )
