"""JSON from outside is refused when nested too deeply, before anything recurses into it."""

from __future__ import annotations

import json

import pytest

from rempart.domain.json_text import MAX_DEPTH, depth, loads, nul_path


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_depth_counts_arrays_and_objects_not_scalars() -> None:
    assert [depth(v) for v in (1, "x", [], {"a": [1, {"b": {}}]}, [[], [[[]]]])] == [0, 0, 1, 4, 4]


def test_a_document_up_to_the_limit_reads_as_json_does() -> None:
    for text in (nested(MAX_DEPTH), '{"lines": [{"product": "P", "quantity": 5}]}', b'"x"'):
        assert loads(text) == json.loads(text)


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 900, 100_000])
def test_a_deeper_document_is_a_json_error_not_a_recursion_error(levels: int) -> None:
    with pytest.raises(json.JSONDecodeError, match=f"nested deeper than {MAX_DEPTH} levels"):
        loads(nested(levels))
    with pytest.raises(json.JSONDecodeError, match="nested deeper"):
        loads(nested(levels).encode())


def test_invalid_json_is_still_invalid_json() -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        loads('{\n  "a": oops}')
    assert (caught.value.lineno, caught.value.msg) == (2, "Expecting value")


def test_nul_path_names_the_first_string_or_key_holding_a_nul() -> None:
    assert nul_path({"lines": [{"product": "ROCU\x00", "note": "x\x00"}]}) == "lines.0.product"
    assert nul_path({"a": 1, "b\x00": "x"}) == "b\x00"
    assert nul_path("x\x00") == ""
    assert nul_path({"lines": [{"product": "ROCU"}], "n": None}) is None
