"""Structured answers from a chat provider: JSON validated against a JSON Schema, capped.

:func:`ask_json` sends the conversation with ``response_format`` set to the schema
(OpenAI's ``json_schema`` response format), parses the reply and validates it with
``jsonschema`` (Draft 2020-12). Caps keep an answer small: the reply's size in characters
(``max_chars``) and, in the schemas, ``maxItems`` / ``maxLength``. A malformed answer (not
JSON, not matching the schema, over the cap, or refused by ``check``) is sent back to the
model with what was wrong, up to ``attempts`` times in all; then :class:`MalformedAnswer`
is raised with every attempt's error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from .errors import MalformedAnswer

#: Characters of one structured answer; more is refused as malformed.
MAX_CHARS = 32_000
#: Tokens a structured answer may use.
MAX_TOKENS = 4_000


@dataclass(frozen=True)
class StructuredAnswer:
    """A validated answer: ``data`` (the parsed JSON), the model that gave it, its usage, and
    how many attempts it took."""

    data: dict[str, Any]
    model: str | None
    usage: dict[str, Any]
    attempts: int


def validate(data: Any, schema: dict[str, Any]) -> str | None:
    """The first schema violation of ``data`` as one line, or None when it is valid."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    first = errors[0]
    where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
    return f"at {where}: {first.message[:300]}"


def parse(text: str, schema: dict[str, Any], *, max_chars: int = MAX_CHARS,
          check: Callable[[dict[str, Any]], str | None] | None = None
          ) -> tuple[dict[str, Any] | None, str | None]:
    """``(data, None)`` for a valid answer, ``(None, what is wrong)`` otherwise."""
    if len(text) > max_chars:
        return None, f"the answer has {len(text)} characters, over the limit of {max_chars}"
    body = text.strip()
    if body.startswith("```"):  # a fenced block: take what is inside
        body = body.strip("`")
        body = body.split("\n", 1)[1] if "\n" in body else body
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    problem = validate(data, schema)
    if problem is None and check is not None:
        problem = check(data)
    return (None, problem) if problem else (data, None)


def ask_json(provider, messages: list[dict[str, Any]], schema: dict[str, Any], *, name: str,
             model: str | None = None, attempts: int = 2, max_chars: int = MAX_CHARS,
             max_tokens: int = MAX_TOKENS, timeout: float | None = None,
             check: Callable[[dict[str, Any]], str | None] | None = None) -> StructuredAnswer:
    """Ask ``provider`` for JSON matching ``schema``; retry a malformed answer, then raise.

    ``check(data)`` adds rules a schema cannot state (nodes that must exist in the map, a
    dependency graph that must be acyclic); it returns what is wrong, or None.
    """
    conversation = list(messages)
    response_format = {"type": "json_schema",
                       "json_schema": {"name": name, "schema": schema, "strict": False}}
    errors: list[str] = []
    for attempt in range(1, attempts + 1):
        reply = provider.chat(conversation, model=model, response_format=response_format,
                              max_tokens=max_tokens, timeout=timeout)
        text = reply.text or ""
        data, problem = parse(text, schema, max_chars=max_chars, check=check)
        if data is not None:
            return StructuredAnswer(data, getattr(reply, "model", None),
                                    dict(getattr(reply, "usage", None) or {}), attempt)
        errors.append(problem)
        conversation = [*conversation, {"role": "assistant", "content": text[:max_chars]},
                        {"role": "user", "content": (
                            f"That answer is not valid: {problem}. Answer again with one JSON "
                            "object only, matching the schema, and nothing else.")}]
    raise MalformedAnswer(
        f"the model's {name} answer was malformed {attempts} times ({errors[-1]}); try another "
        "model, or use the extractive provider for a rule-based result",
        name=name, errors=tuple(errors))
