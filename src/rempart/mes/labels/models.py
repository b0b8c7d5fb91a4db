"""Models of the labels app."""

from __future__ import annotations
