from __future__ import annotations

from django.contrib import admin

from rempart.mes.catalog.models import Hospital, MasterRecord, Molecule, Product, Site, VialFormat
from rempart.mes.core.admin import ReadOnlyAdmin, ReferenceAdmin


@admin.register(Hospital)
class HospitalAdmin(ReferenceAdmin):
    list_display = ("code", "name", "town", "department")


@admin.register(Site)
class SiteAdmin(ReferenceAdmin):
    list_display = ("code", "name", "hospital")


@admin.register(Molecule)
class MoleculeAdmin(ReferenceAdmin):
    list_display = ("inn", "atc", "mitm", "cis_codes")


@admin.register(VialFormat)
class VialFormatAdmin(ReferenceAdmin):
    list_display = ("code", "nominal_volume_ml", "brimful_volume_ml")


@admin.register(Product)
class ProductAdmin(ReferenceAdmin):
    list_display = ("code", "name", "molecule", "vial_format", "regulatory_status")


@admin.register(MasterRecord)
class MasterRecordAdmin(ReadOnlyAdmin):
    list_display = ("product", "version", "state", "author")
