"""The quick payload check never accepts what the JSON schema refuses."""

from __future__ import annotations

import itertools

from jsonschema import Draft202012Validator

from workbench.events import types

SAMPLES = [None, True, False, 0, 1, -5, 1.0, 2.5, "", "x", "ok", "github", [], [1, 2], [1, "a"],
           [True], {}, {"a": 1}]


def test_the_quick_check_agrees_with_jsonschema_on_every_builtin_type():
    checked = 0
    for name in types.BUILTIN_TYPES:
        schema = types.schema(name)
        fast = types._fast_check(schema)
        assert fast is not None, f"{name} falls back to the full validator on every publish"
        full = Draft202012Validator(schema)
        keys = list(schema["properties"])
        good = {k: _good(schema["properties"][k]) for k in keys}
        assert fast(good) and full.is_valid(good), name
        for key, value in itertools.product(keys, SAMPLES):
            payload = {**good, key: value}
            if fast(payload):
                assert full.is_valid(payload), (name, key, value)
            checked += 1
        for key in keys:  # a missing required key is refused by both
            payload = {k: v for k, v in good.items() if k != key}
            assert not fast(payload) and not full.is_valid(payload)
    assert checked > 500


def _good(sub: dict):
    if "enum" in sub:
        return sub["enum"][0]
    kind = sub["type"] if isinstance(sub["type"], str) else sub["type"][0]
    return {"string": "s", "integer": 1, "boolean": False, "array": [1], "null": None,
            "number": 1.5, "object": {}}[kind]
