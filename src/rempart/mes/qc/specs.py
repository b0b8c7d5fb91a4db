"""Reading specifications: the current version of a product's test."""

from __future__ import annotations

from rempart.domain.qc import SampleKind
from rempart.mes.catalog.models import Product
from rempart.mes.qc.models import Specification


def current_specification(product: Product, test: SampleKind | str) -> Specification | None:
    """The highest version of the product's specification for `test`, or None."""
    return (
        Specification.objects.filter(product=product, test=str(test)).order_by("-version").first()
    )
