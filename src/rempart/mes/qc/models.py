"""Models of the qc app."""

from __future__ import annotations
