"""The facts cache's JSON: the compact list form written now, the object form read back too."""

import json

from workbench.mapping.facts import FORMAT, FileFacts
from workbench.mapping.python import parse_python

SOURCE = b'''
import os.path as p
from .sibling import a as x, b
if TYPE_CHECKING:
    from typing import Any


@decorate(1)
class Child(Base, metaclass=Meta):
    def method(self, value):
        if value:
            return helper(value) or self.other()
        return p.join("a", "b")


def broken(:
'''


def _rich() -> FileFacts:
    facts = parse_python(SOURCE.replace(b"def broken(:\n", b""))
    assert facts.definitions and facts.imports and facts.calls and facts.problem is None
    assert any(d.decorators for d in facts.definitions) and any(d.bases for d in facts.definitions)
    assert any(i.aliases for i in facts.imports)
    return facts


def test_compact_form_round_trips_every_field():
    facts = _rich()
    text = facts.to_json()
    assert json.loads(text)[0] == FORMAT
    assert FileFacts.from_json(text) == facts


def test_a_problem_and_extra_round_trip():
    facts = parse_python(SOURCE)
    assert facts.problem
    assert FileFacts.from_json(facts.to_json()) == facts
    skipped = FileFacts("javascript", problem="minified", extra={"skipped": True})
    assert FileFacts.from_json(skipped.to_json()) == skipped


def test_facts_cached_in_the_object_form_still_read():
    facts = _rich()
    old = json.dumps(facts.to_object(), separators=(",", ":"))
    assert json.loads(old)["definitions"][0]["qualname"]
    assert FileFacts.from_json(old) == facts
    assert len(facts.to_json()) < 0.75 * len(old)
