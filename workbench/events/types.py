"""The registry of event types: each name has a JSON schema its payloads must satisfy.

>>> validate("repo.pushed", {"project": "shop", "ref": "refs/heads/main",
...                          "before": None, "after": "ab12"})
>>> sorted(known())[:2]
['idea.created', 'job.failed']

Schemas are JSON Schema (draft 2020-12, checked by the ``jsonschema`` package). Every payload
is an object; the listed keys are required, extra keys are allowed. Register more types with
:func:`register_type` (a plugin does it when it is imported, never this module on its own).
"""

from __future__ import annotations

import re
import threading
from typing import Any, Sequence

from .errors import InvalidEvent, UnknownEventType

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_INT = {"type": "integer"}
_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}


def _object(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": sorted(properties)}


#: The types every workbench knows, with their payload schemas.
BUILTIN_TYPES: dict[str, dict[str, Any]] = {
    "idea.created": _object(idea_id=_INT, project=_STR, title=_STR),
    "spec.frozen": _object(spec_id=_INT, idea_id=_INT),
    "tasks.created": _object(spec_id=_INT, task_ids={"type": "array", "items": _INT}),
    "pr.opened": _object(project=_STR, number={"type": ["integer", "null"]}, title=_STR,
                         head_ref=_STR, head_sha=_STR_OR_NULL, base_ref=_STR, url=_STR_OR_NULL,
                         source={"enum": ["github", "build", "user"]}),
    "pr.reviewed": _object(review_id=_INT, project=_STR, head_sha=_STR,
                           verdict={"enum": ["ok", "attention", "blocked"]}),
    "map.completed": _object(project=_STR, snapshot_id=_INT, commit=_STR,
                             reused={"type": "boolean"}),
    "job.failed": _object(job_id=_INT, type=_STR, error=_STR),
    "repo.pushed": _object(project=_STR, ref=_STR, before=_STR_OR_NULL, after=_STR),
}

_lock = threading.Lock()
_schemas: dict[str, dict[str, Any]] = dict(BUILTIN_TYPES)
_validators: dict[str, Any] = {}


def register_type(name: str, schema: dict[str, Any], *, replace: bool = False) -> None:
    """Register event type ``name`` (dotted lower case, e.g. ``build.finished``).

    ``schema`` is a JSON Schema for the payload (an object). Raises :class:`InvalidEvent` for
    a bad name or schema, or when the name exists and ``replace`` is false.
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidEvent(f"event type {name!r} is not a dotted lower-case name such as "
                           "'build.finished'", type=name)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise InvalidEvent(f"the schema of {name!r} is not a valid JSON Schema: {exc.message}",
                           type=name) from None
    with _lock:
        if name in _schemas and not replace and _schemas[name] != schema:
            raise InvalidEvent(f"event type {name!r} is registered already; pass replace=True "
                               "to change its schema", type=name)
        _schemas[name] = schema
        _validators.pop(name, None)


def known() -> list[str]:
    """The registered event types, sorted."""
    with _lock:
        return sorted(_schemas)


def schema(name: str) -> dict[str, Any]:
    """The JSON schema of a registered type (raises :class:`UnknownEventType`)."""
    with _lock:
        found = _schemas.get(name)
    if found is None:
        raise _unknown(name)
    return found


def check_types(types: "str | Sequence[str] | None") -> tuple[str, ...] | None:
    """Normalise a subscription's types: None (or ``"*"``) means every type; each name must be
    registered (a typo would otherwise wait for ever)."""
    if types is None or types == "*":
        return None
    names = (types,) if isinstance(types, str) else tuple(types)
    if not names:
        raise InvalidEvent("no event types given; pass None for every type")
    registered = set(known())
    for name in names:
        if name not in registered:
            raise _unknown(name)
    return tuple(dict.fromkeys(names))


_SIMPLE = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
           "null": (type(None),), "object": (dict,), "array": (list,)}


def _fast_check(schema: dict[str, Any]):
    """A quick test that accepts only payloads the schema accepts, for the common shape of
    event schemas (an object of typed or enumerated properties); None for other schemas.

    Anything it does not accept goes to ``jsonschema``, which decides and words the error.
    It makes publishing several times faster than running the full validator every time.
    """
    if set(schema) - {"type", "properties", "required"} or schema.get("type") != "object":
        return None
    checks: list[tuple[str, Any]] = []
    for key, sub in schema.get("properties", {}).items():
        if set(sub) == {"enum"} and all(isinstance(v, str) for v in sub["enum"]):
            options = frozenset(sub["enum"])
            checks.append((key, lambda v, o=options: isinstance(v, str) and v in o))
            continue
        kinds = sub.get("type")
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not kinds or any(k not in _SIMPLE for k in kinds):
            return None
        allowed = tuple(t for k in kinds for t in _SIMPLE[k])
        no_bool = "boolean" not in kinds
        if set(sub) == {"type"}:
            checks.append((key, lambda v, a=allowed, nb=no_bool:
                           isinstance(v, a) and not (nb and isinstance(v, bool))))
        elif (set(sub) == {"type", "items"} and kinds == ["array"]
              and set(sub["items"]) == {"type"} and sub["items"]["type"] in ("integer", "string")):
            item = _SIMPLE[sub["items"]["type"]]
            checks.append((key, lambda v, i=item: isinstance(v, list) and all(
                isinstance(x, i) and not isinstance(x, bool) for x in v)))
        else:
            return None
    required = tuple(schema.get("required", ()))
    missing = object()

    def check(payload: dict[str, Any]) -> bool:
        if any(k not in payload for k in required):
            return False
        for key, test in checks:
            value = payload.get(key, missing)
            if value is not missing and not test(value):
                return False
        return True

    return check


def validate(name: str, payload: Any) -> None:
    """Check ``payload`` against the schema of ``name``.

    Raises :class:`UnknownEventType` for an unregistered name and :class:`InvalidEvent` naming
    the first offending key for a payload the schema refuses.
    """
    compiled = _validators.get(name)
    if compiled is None:  # [quick check or None, jsonschema validator once needed]
        compiled = _validators[name] = [_fast_check(schema(name)), None]
    if not isinstance(payload, dict):
        raise InvalidEvent(f"the payload of a {name} event must be a JSON object (a dict), not "
                           f"{type(payload).__name__}", type=name)
    if compiled[0] is not None and compiled[0](payload):
        return
    if compiled[1] is None:
        # jsonschema only where the quick check cannot decide: importing it can take seconds
        # (its format checkers load optional grammar packages), which every publish would pay
        from jsonschema import Draft202012Validator

        compiled[1] = Draft202012Validator(schema(name))
    validator = compiled[1]
    error = next(iter(validator.iter_errors(payload)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "payload"
        raise InvalidEvent(f"invalid {name} event: {where}: {error.message}", type=name,
                           path=where)


def _unknown(name: str) -> UnknownEventType:
    names = known()
    return UnknownEventType(f"unknown event type {name!r}; known: {', '.join(names)} (register "
                            "new ones with workbench.events.register_type)", type=name,
                            known=tuple(names))
