"""The define agent: an idea becomes a spec that names the code it involves.

:func:`draft_spec` is pure given a snapshot: it finds the code areas (:mod:`.areas`), then
either writes the spec by rules (the extractive provider, or none: deterministic) or asks a
chat provider for it as schema-validated JSON, with the candidate areas in the prompt and
every area it names checked against the map.

Rules: the *problem* is the title and the first sentence of the text; sentences saying what
should happen are *goals*, sentences with must/never/always are *requirements*, and every
code area adds a requirement (change it, keep its dependents working) and an acceptance
criterion (its tests pass, or new tests cover it), plus no new import cycle or contract
violation. An idea the map holds no evidence of (:mod:`.areas`) gets no code areas: its spec
says no code was found for it and asks for the code to be named.
"""

from __future__ import annotations

import re
from typing import Any

from ..domain import CodeArea, Idea, SpecDraft
from ..snapshot import Snapshot
from .areas import area_with_impact, covering_tests, find_code_areas, how_to_name_code
from .structured import ask_json

_GOAL = re.compile(r"\b(should|want|wants|so that|allow|allows|let|lets|support|able to|goal|"
                   r"would like|need|needs)\b", re.I)
_REQUIREMENT = re.compile(r"\b(must|shall|never|always|required?|only)\b", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")

#: Caps of a model's spec answer (JSON Schema ``maxItems`` / ``maxLength``).
SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["problem", "goals", "requirements", "acceptance_criteria", "code_areas"],
    "additionalProperties": False,
    "properties": {
        "problem": {"type": "string", "minLength": 1, "maxLength": 2000},
        "goals": {"type": "array", "maxItems": 8,
                  "items": {"type": "string", "minLength": 1, "maxLength": 400}},
        "requirements": {"type": "array", "maxItems": 12,
                         "items": {"type": "string", "minLength": 1, "maxLength": 400}},
        "acceptance_criteria": {"type": "array", "minItems": 1, "maxItems": 12,
                                "items": {"type": "string", "minLength": 1, "maxLength": 400}},
        "code_areas": {"type": "array", "maxItems": 8, "items": {
            "type": "object", "required": ["node", "reason"], "additionalProperties": False,
            "properties": {"node": {"type": "string", "minLength": 1, "maxLength": 300},
                           "reason": {"type": "string", "maxLength": 400}}}},
    },
}


#: How a rule-based spec begins the requirement it has instead of code areas.
NO_CODE_FOUND = ("No code was found for this idea: nothing in the map is named in it or holds "
                 "enough of its words (see workbench.agents.areas)")


def is_rule_based(provider) -> bool:
    """Whether agents write by rules: no provider, or the extractive one."""
    return provider is None or getattr(provider, "name", None) == "extractive"


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text or "") if s.strip()]


def draft_spec(idea: Idea, snap: Snapshot, *, provider=None, model: str | None = None,
               search=None, max_areas: int = 5, attempts: int = 2) -> SpecDraft:
    """The spec of ``idea`` on ``snap`` (rule-based unless ``provider`` is a chat provider).

    ``search(query, k) -> DataFrame`` (column ``node``, best first) adds search hits to the
    areas found in the map. Raises :class:`~.errors.MalformedAnswer` when a model's answer
    stays malformed.
    """
    if is_rule_based(provider):
        areas = find_code_areas(snap, idea.text, title=idea.title, search=search,
                                limit=max_areas)
        return _rule_spec(idea, snap, areas)
    candidates = find_code_areas(snap, idea.text, title=idea.title, search=search,
                                 limit=max(12, max_areas * 2), min_share=0.15)
    return _model_spec(idea, snap, candidates, provider, model=model, attempts=attempts,
                       max_areas=max_areas)


def _where(area: CodeArea) -> str:
    if area.path and area.line_start:
        return f"{area.path}:{area.line_start}-{area.line_end or area.line_start}"
    return area.path or area.node


def _rule_spec(idea: Idea, snap: Snapshot, areas: list[CodeArea]) -> SpecDraft:
    said = sentences(idea.text)
    problem = idea.title.strip().rstrip(".") + "."
    if said and not _GOAL.search(said[0]) and not _REQUIREMENT.search(said[0]):
        problem += " " + said[0]
    goals = [s for s in said if _GOAL.search(s) and not _REQUIREMENT.search(s)][:6]
    if not goals:
        goals = [f"Deliver: {idea.title.strip().rstrip('.')}."]
    requirements = [s for s in said if _REQUIREMENT.search(s)][:6]
    acceptance: list[str] = []
    for area in areas:
        dependents = (f"; keep its {area.impact_count} dependent file(s) working"
                      f" ({', '.join(area.impact[:3])}{', ...' if area.impact_count > 3 else ''})"
                      if area.impact_count else "")
        requirements.append(f"Change {area.node} ({_where(area)}){dependents}.")
        tests = covering_tests(snap, area.node)
        if tests:
            acceptance.append(f"{', '.join(tests[:3])} pass{'es' if len(tests) == 1 else ''} "
                              f"with the change to {area.node}.")
        else:
            acceptance.append(f"New tests cover the change to {area.node}.")
    if not areas:
        requirements.append(f"{NO_CODE_FOUND}: {how_to_name_code(snap)}.")
    acceptance.append(f"No new import cycle and no new contract violation in {idea.project} "
                      "(the pull request review says ok).")
    return SpecDraft(problem, tuple(goals), tuple(requirements), tuple(acceptance), tuple(areas),
                     author="rules")


def _model_spec(idea: Idea, snap: Snapshot, candidates: list[CodeArea], provider, *,
                model: str | None, attempts: int, max_areas: int) -> SpecDraft:
    listing = "\n".join(
        f"- {a.node} ({a.kind}, {_where(a)}; {a.impact_count} dependent files): {a.reason}"
        for a in candidates) or "(none matched the idea's words)"
    messages = [
        {"role": "system", "content": (
            "You turn a feature idea into a precise software spec for the repository "
            f"{idea.project}. Answer with one JSON object: problem, goals, requirements, "
            "acceptance_criteria, code_areas (node ids from the candidate list, each with "
            "a reason). Be concrete and short.")},
        {"role": "user", "content": (
            f"Idea: {idea.title}\n\n{idea.text}\n\nCandidate code areas from the map "
            f"(node id, kind, location, dependents):\n{listing}")},
    ]
    known = {a.node: a for a in candidates}

    def check(data: dict[str, Any]) -> str | None:
        unknown = [a["node"] for a in data["code_areas"] if not _exists(snap, a["node"], known)]
        if unknown:
            return (f"code_areas names nodes that are not in the map: {', '.join(unknown[:5])}; "
                    f"use ids from the candidate list")
        return None

    answer = ask_json(provider, messages, SPEC_SCHEMA, name="spec", model=model,
                      attempts=attempts, check=check)
    data = answer.data
    areas: list[CodeArea] = []
    for item in data["code_areas"][:max_areas]:
        node = known[item["node"]].node if item["node"] in known else snap.resolve(item["node"])
        if any(a.node == node for a in areas):
            continue
        base = known.get(node)
        areas.append(area_with_impact(snap, node, score=base.score if base else 0.0,
                                      found_by="model", reason=item["reason"] or "named by the model"))
    return SpecDraft(data["problem"], tuple(data["goals"]), tuple(data["requirements"]),
                     tuple(data["acceptance_criteria"]), tuple(areas),
                     author=getattr(provider, "name", "model"), model=answer.model or model)


def _exists(snap: Snapshot, node: str, known: dict[str, CodeArea]) -> bool:
    if node in known:
        return True
    from ..graph.errors import GraphQueryError

    try:
        snap.resolve(node)
        return True
    except GraphQueryError:
        return False
