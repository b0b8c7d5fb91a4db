"""The planning board's forms: a new planning run, and the acceptance signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rempart.mes.core.errors import Refused
from rempart.mes.planboard.build import BoardParameters, p50_from_montecarlo


def _tomorrow() -> Any:
    return datetime.now(UTC).date() + timedelta(days=1)


class RunForm(forms.Form):
    start = forms.DateField(
        label=_("First day"), initial=_tomorrow, widget=forms.DateInput(attrs={"type": "date"})
    )
    days = forms.IntegerField(label=_("Days to plan"), min_value=1, max_value=120, initial=28)
    normal_vials_per_day = forms.FloatField(
        label=_("Normal regime: good vials per day (your figure)"), min_value=0, required=False
    )
    normal_montecarlo = forms.CharField(
        label=_("…or paste the JSON of rempart twin montecarlo --json (normal day)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    normal_weekends = forms.BooleanField(
        label=_("The normal regime also works at weekends"), required=False
    )
    crisis_vials_per_day = forms.FloatField(
        label=_("Crisis regime 24/7: good vials per day (your figure; empty: no crisis regime)"),
        min_value=0,
        required=False,
    )
    crisis_montecarlo = forms.CharField(
        label=_("…or paste the JSON of rempart twin montecarlo --json (crisis-24h)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    run_rate_vials_per_hour = forms.FloatField(
        label=_("Run rate while filling (vials/h)"), min_value=1, initial=330
    )
    tension_share = forms.FloatField(
        label=_("Share of demand the industry delivers in tension (0–1)"),
        min_value=0,
        max_value=1,
        initial=0.5,
    )
    setup_hours = forms.FloatField(label=_("Set-up per lot (h)"), min_value=0, initial=3)
    format_change_hours = forms.FloatField(
        label=_("Vial format change (h)"), min_value=0, initial=1
    )
    prepare_next_format = forms.BooleanField(
        label=_("A day may end with a vial format change for a later day's lots"), required=False
    )
    min_batch_vials = forms.FloatField(label=_("Minimum lot (vials)"), min_value=0, initial=200)
    min_residual_days = forms.FloatField(
        label=_("Minimum residual shelf life at use (days)"), min_value=0, initial=30
    )
    crisis_cost_per_day = forms.FloatField(
        label=_("Crisis regime cost per day (€)"), min_value=0, initial=6000
    )
    crisis_switch_on_cost = forms.FloatField(
        label=_("Crisis regime switch-on cost (€)"), min_value=0, initial=15000
    )
    crisis_min_days = forms.IntegerField(
        label=_("Crisis regime minimum duration (days)"), min_value=1, initial=7
    )
    time_limit_s = forms.FloatField(
        label=_("Solver time limit (s)"), min_value=1, max_value=600, initial=30
    )

    def parameters(self) -> BoardParameters:
        """The cleaned figures as parameters; `Refused` naming the field when inconsistent."""
        d = self.cleaned_data
        normal, normal_source = _capacity(
            d.get("normal_vials_per_day"), d.get("normal_montecarlo", ""), "normal"
        )
        crisis, crisis_source = _capacity(
            d.get("crisis_vials_per_day"), d.get("crisis_montecarlo", ""), "crisis"
        )
        return BoardParameters(
            start=d["start"],
            days=d["days"],
            normal_vials_per_day=normal or 0.0,
            normal_source=normal_source,
            crisis_vials_per_day=crisis,
            crisis_source=crisis_source,
            normal_weekends=bool(d.get("normal_weekends")),
            run_rate_vials_per_hour=d["run_rate_vials_per_hour"],
            tension_share=d["tension_share"],
            setup_hours=d["setup_hours"],
            format_change_hours=d["format_change_hours"],
            prepare_next_format=bool(d.get("prepare_next_format")),
            min_batch_vials=d["min_batch_vials"],
            min_residual_days=d["min_residual_days"],
            crisis_cost_per_day=d["crisis_cost_per_day"],
            crisis_switch_on_cost=d["crisis_switch_on_cost"],
            crisis_min_days=d["crisis_min_days"],
            time_limit_s=d["time_limit_s"],
        )


def _capacity(figure: float | None, pasted: str, regime: str) -> tuple[float | None, str]:
    pasted = (pasted or "").strip()
    if figure is not None and pasted:
        raise Refused("give a figure or the twin's JSON, not both", field=f"{regime}_montecarlo")
    if pasted:
        return p50_from_montecarlo(pasted, f"{regime}_montecarlo")
    if figure is not None:
        return figure, "user figure"
    return None, ""


class AcceptForm(forms.Form):
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    totp_code = forms.CharField(label=_("Authenticator code"), max_length=12)
