"""The demo region: the zone de défense Nord (Hauts-de-France), DOMAIN.md §9.

Hospital names and towns are real public hospitals. The ICU bed counts are an ASSUMPTION for
demo data, not real figures, and must never be shown as real. The demand coefficients are
assumptions too (DOMAIN.md §9: ICU beds × occupancy × vials per patient-day).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hospital:
    code: str
    name: str
    town: str
    department: str
    icu_beds_assumed: int


HAUTS_DE_FRANCE: tuple[Hospital, ...] = (
    Hospital("CHU-LILLE", "CHU de Lille", "Lille", "59", 120),
    Hospital("CH-ROUBAIX", "CH de Roubaix", "Roubaix", "59", 20),
    Hospital("CH-TOURCOING", "CH de Tourcoing", "Tourcoing", "59", 16),
    Hospital("CH-VALENCIENNES", "CH de Valenciennes", "Valenciennes", "59", 30),
    Hospital("CH-DUNKERQUE", "CH de Dunkerque", "Dunkerque", "59", 20),
    Hospital("CH-DOUAI", "CH de Douai", "Douai", "59", 16),
    Hospital("CH-CAMBRAI", "CH de Cambrai", "Cambrai", "59", 10),
    Hospital("CH-MAUBEUGE", "CH de Maubeuge (Sambre-Avesnois)", "Maubeuge", "59", 12),
    Hospital("GH-SECLIN-CARVIN", "GH Seclin-Carvin", "Seclin", "59", 8),
    Hospital("CH-LENS", "CH de Lens", "Lens", "62", 20),
    Hospital("CH-ARRAS", "CH d'Arras", "Arras", "62", 16),
    Hospital("CH-BOULOGNE", "CH de Boulogne-sur-Mer", "Boulogne-sur-Mer", "62", 16),
    Hospital("CH-CALAIS", "CH de Calais", "Calais", "62", 12),
    Hospital("CHU-AMIENS", "CHU Amiens-Picardie", "Amiens", "80", 60),
    Hospital("CH-SAINT-QUENTIN", "CH de Saint-Quentin", "Saint-Quentin", "02", 16),
    Hospital("CH-BEAUVAIS", "CH de Beauvais", "Beauvais", "60", 16),
    Hospital("CH-COMPIEGNE", "CH de Compiègne-Noyon", "Compiègne", "60", 12),
)

#: Assumed ICU bed occupancy in normal times.
ICU_OCCUPANCY_ASSUMED = 0.8

#: Assumed vials per occupied ICU bed and day, per demo product code, in normal times.
VIALS_PER_PATIENT_DAY_ASSUMED: dict[str, float] = {
    "ATRA-10-5": 0.10,
    "CISA-2-10": 0.15,
    "CISA-5-30": 0.10,
    "ROCU-10-5": 0.12,
    "ROCU-10-10": 0.06,
    "SUXA-50-2": 0.05,
    "MIVA-2-10": 0.03,
    "MIDA-1-50": 0.30,
    "NORA-02-50": 0.35,
    "KETA-10-20": 0.05,
}

#: Crisis multiplier for curares (2020 order of magnitude ×10-20; DOMAIN.md §7.1).
CURARE_CRISIS_MULTIPLIER_ASSUMED = 15.0
