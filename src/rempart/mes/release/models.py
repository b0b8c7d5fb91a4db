"""Models of the release app."""

from __future__ import annotations
