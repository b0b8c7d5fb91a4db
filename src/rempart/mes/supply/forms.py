"""Forms of the shortage watch pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from rempart.mes.catalog.models import Hospital, Product


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class ImportForm(forms.Form):
    bdpm_files = MultipleFileField(label=_("BDPM files (CIS_MITM.txt, CIS_CIP_Dispo_Spec.txt)"))
    skip_bad_lines = forms.BooleanField(
        required=False, label=_("Skip malformed lines (they are listed) instead of refusing")
    )


class ForecastForm(forms.Form):
    hospital = forms.ModelChoiceField(
        queryset=Hospital.objects.order_by("name"), label=_("Hospital")
    )
    product = forms.ModelChoiceField(queryset=Product.objects.order_by("code"), label=_("Product"))
    vials_per_day = forms.DecimalField(
        min_value=0, max_digits=9, decimal_places=2, label=_("Vials per day")
    )
    valid_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(
        required=False, label=_("Until"), widget=forms.DateInput(attrs={"type": "date"})
    )


class StockForm(forms.Form):
    hospital = forms.ModelChoiceField(
        queryset=Hospital.objects.order_by("name"), label=_("Hospital")
    )
    product = forms.ModelChoiceField(queryset=Product.objects.order_by("code"), label=_("Product"))
    counted_on = forms.DateField(
        label=_("Counted on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    released_vials = forms.IntegerField(min_value=0, label=_("Released vials"))
    quarantine_vials = forms.IntegerField(
        min_value=0, initial=0, required=False, label=_("Quarantine vials")
    )
    release_date = forms.DateField(
        required=False,
        label=_("Expected release date"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
