"""JSON read from users, files and the network, with a limit on how deeply it may nest.

`json.loads` raises `RecursionError` on a document nested about a thousand levels deep
(`[[[[...]]]]`), and code that walks a decoded document recursively fails well before that.
No rempart document nests more than a few levels, so anything deeper than `MAX_DEPTH` is
refused as invalid JSON, with the same `json.JSONDecodeError` callers already report.
"""

from __future__ import annotations

import json
from typing import Any

#: The deepest nesting of arrays and objects accepted (rempart's own documents use under 8).
MAX_DEPTH = 64


def loads(text: str | bytes) -> Any:
    """`json.loads`, refusing documents nested deeper than `MAX_DEPTH` with `JSONDecodeError`."""
    doc = text if isinstance(text, str) else ""  # the error's line and column are 1, 1
    problem = f"nested deeper than {MAX_DEPTH} levels"
    try:
        value = json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError(problem, doc, 0) from None
    if depth(value) > MAX_DEPTH:
        raise json.JSONDecodeError(problem, doc, 0)
    return value


def depth(value: Any) -> int:
    """Levels of arrays and objects in a decoded value (0 for a scalar), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        if deepest > MAX_DEPTH:
            return deepest  # enough to refuse
        stack.extend((child, level + 1) for child in children)
    return deepest


def nul_path(value: Any) -> str | None:
    """The dotted path (`lines.0.product`; "" for the value itself) of the first string or
    key holding a NUL character in a decoded JSON value, in document order, or None."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path
            continue
        children: list[tuple[str, Any]] = []
        if isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}".lstrip(".")
                if "\x00" in key:
                    return child_path
                children.append((child_path, child))
        elif isinstance(item, list):
            children = [(f"{path}.{i}".lstrip("."), child) for i, child in enumerate(item)]
        stack.extend(reversed(children))
    return None
