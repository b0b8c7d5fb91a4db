"""People: users with one role, their qualifications, and failed log-ins (for lockout)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower, Now

from rempart.domain.qualification import QualificationKind
from rempart.domain.roles import Role
from rempart.mes.audit.registry import audited

#: Reference data the administrator may edit in the Django admin (everything else read-only).
REFERENCE_MODELS = frozenset(
    {
        "catalog.hospital",
        "catalog.site",
        "catalog.molecule",
        "catalog.vialformat",
        "catalog.product",
    }
)


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        # Case-insensitive: "Alice" and "alice" are one person (and one name, never reused).
        return self.get(username__iexact=username or "")


@audited(redacted=("password", "totp_secret"))
class User(AbstractBaseUser):
    """A person. Never deleted (a trigger refuses it): deactivated with `is_active=False`."""

    username = models.CharField(max_length=150)
    email = models.EmailField(blank=True, default="")
    printed_name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=[(r.value, r.value) for r in Role])
    hospital = models.ForeignKey(
        "catalog.Hospital", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    totp_secret = models.CharField(max_length=64, blank=True, default="")
    date_joined = models.DateTimeField(db_default=Now())
    # No last_login: updating it on every log-in would be a GMP change without a reason.
    last_login = None

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["printed_name", "role"]

    class Meta:
        ordering = ("username",)
        constraints = (
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.CheckConstraint(
                condition=~models.Q(role=Role.ORDERER.value) | models.Q(hospital__isnull=False),
                name="user_orderer_has_hospital",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_known"
            ),
        )

    def __str__(self) -> str:
        return f"{self.printed_name} ({self.username})"

    @property
    def is_staff(self) -> bool:
        """The Django admin: administrators (reference data) and QA (read-only review)."""
        return self.is_active and self.role in {Role.ADMINISTRATOR, Role.QA_REVIEWER}

    @property
    def is_superuser(self) -> bool:
        return False

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        if not self.is_staff:
            return False
        app_label, _, codename = perm.partition(".")
        action, _, model = codename.partition("_")
        if action == "view":
            return True
        reference = f"{app_label}.{model}" in REFERENCE_MODELS
        return self.role == Role.ADMINISTRATOR and action in {"add", "change"} and reference

    def has_perms(self, perms: Any, obj: Any = None) -> bool:
        return all(self.has_perm(p, obj) for p in perms)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff


@audited()
class Qualification(models.Model):
    """A qualification held for a period; `product` names the record of a training."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="qualifications")
    kind = models.CharField(
        max_length=40, choices=[(k.value, k.value.replace("_", " ")) for k in QualificationKind]
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    valid_from = models.DateField()
    valid_until = models.DateField()
    evidence = models.CharField(max_length=200)
    recorded_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ("user", "kind", "-valid_until")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(valid_until__gt=models.F("valid_from")),
                name="qualification_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(kind=QualificationKind.MASTER_RECORD_TRAINING.value)
                ^ models.Q(product__isnull=True),
                name="qualification_product_only_for_training",
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind} until {self.valid_until}"


class LoginFailure(models.Model):
    """A failed log-in, kept to lock out guessing per user and per address (not GMP data)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.at:%Y-%m-%d %H:%M:%S}"
