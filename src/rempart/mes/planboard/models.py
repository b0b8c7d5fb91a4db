"""Models of the planboard app."""

from __future__ import annotations
