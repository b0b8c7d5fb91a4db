"""Raise, e-mail and clear the shortage alerts.

`refresh_alerts` computes the alerts of the catalogue (`rempart.shortage.alerts`) from the
latest imports and the cover, then reconciles them with the stored ones: a new alert is
stored and e-mailed once to the configured recipients; an alert still present keeps its row
(its message is updated, no e-mail); an alert no longer present is marked cleared.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models.functions import Now

from rempart.mes.catalog.models import Product
from rempart.mes.supply.cover import coverage
from rempart.mes.supply.models import SupplyAlert
from rempart.mes.supply.services import current_supply
from rempart.shortage.alerts import Alert, WatchedProduct, compute_alerts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlertRefresh:
    raised: tuple[SupplyAlert, ...]
    cleared: tuple[SupplyAlert, ...]
    open: tuple[SupplyAlert, ...]
    emailed_to: tuple[str, ...]


def current_alerts(today: date, threshold_days: float) -> list[Alert]:
    products = list(Product.objects.select_related("molecule").order_by("code"))
    watched = [WatchedProduct(p.code, p.name, p.molecule.inn) for p in products]
    cover = {c.product.code: c.regional_days for c in coverage(today)}
    return compute_alerts(watched, current_supply(), cover, threshold_days)


def refresh_alerts(
    today: date | None = None,
    threshold_days: float | None = None,
    recipients: list[str] | None = None,
) -> AlertRefresh:
    """Reconcile stored alerts with the current ones; e-mail the newly raised ones."""
    today = today or datetime.now(UTC).date()
    threshold = (
        float(settings.SUPPLY_COVER_THRESHOLD_DAYS) if threshold_days is None else threshold_days
    )
    to = list(settings.SUPPLY_ALERT_EMAILS) if recipients is None else recipients
    wanted = {(a.product_code, a.kind.value): a for a in current_alerts(today, threshold)}
    products = {p.code: p for p in Product.objects.filter(code__in={k[0] for k in wanted})}
    raised: list[SupplyAlert] = []
    cleared: list[SupplyAlert] = []
    with transaction.atomic():
        stored = {
            (a.product.code, a.kind): a
            for a in SupplyAlert.objects.select_related("product").filter(cleared_at__isnull=True)
        }
        for key, alert in stored.items():
            if key not in wanted:
                SupplyAlert.objects.filter(pk=alert.pk).update(cleared_at=Now())
                cleared.append(alert)
            elif alert.message != wanted[key].message:
                SupplyAlert.objects.filter(pk=alert.pk).update(message=wanted[key].message)
        for key, new in wanted.items():
            if key in stored:
                continue
            try:
                with transaction.atomic():
                    raised.append(
                        SupplyAlert.objects.create(
                            product=products[new.product_code],
                            kind=new.kind.value,
                            message=new.message,
                        )
                    )
            except IntegrityError:
                # Raised meanwhile by a concurrent refresh, which e-mails it.
                continue
    emailed = _email(raised, to)
    return AlertRefresh(
        tuple(raised),
        tuple(cleared),
        tuple(open_alerts()),
        emailed,
    )


def _email(raised: list[SupplyAlert], to: list[str]) -> tuple[str, ...]:
    if not raised or not to:
        return ()
    body = "\n".join(f"- {a.product.code}: {a.message}" for a in raised)
    subject = f"[rempart] {len(raised)} new shortage alert{'s' if len(raised) > 1 else ''}"
    try:
        send_mail(
            subject,
            "New shortage alerts (rempart shortage watch):\n\n" + body + "\n",
            None,
            to,
        )
    except OSError as exc:
        log.warning("shortage alerts not e-mailed to %s: %s", ", ".join(to), exc)
        return ()
    SupplyAlert.objects.filter(pk__in=[a.pk for a in raised]).update(
        emailed_at=Now(), emailed_to=", ".join(to)
    )
    return tuple(to)


def open_alerts() -> list[SupplyAlert]:
    return list(
        SupplyAlert.objects.select_related("product")
        .filter(cleared_at__isnull=True)
        .order_by("product__code", "kind")
    )


def recently_cleared(limit: int = 20) -> list[SupplyAlert]:
    return list(
        SupplyAlert.objects.select_related("product")
        .filter(cleared_at__isnull=False)
        .order_by("-cleared_at", "-pk")[:limit]
    )
