"""Capture: an idea from a notebook, the CLI, the server or a webhook, checked before it is kept.

Every face calls :meth:`workbench.agents.service.Ideas.add`, which checks the idea here,
stores it and publishes ``idea.created``.
"""

from __future__ import annotations

import re

from .errors import InvalidIdea

#: Longest title, in characters.
MAX_TITLE = 200
#: Longest text, in characters.
MAX_TEXT = 20_000
#: Where an idea can come from.
SOURCES = ("user", "cli", "notebook", "server", "webhook", "agent")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def check_idea(title: str, text: str, *, actor: str, source: str) -> tuple[str, str]:
    """The title and text to store (stripped), or :class:`InvalidIdea` saying what to fix."""
    if not isinstance(title, str) or not title.strip():
        raise InvalidIdea("an idea needs a title: say in a few words what should change")
    title = title.strip()
    text = (text or "").strip()
    if len(title) > MAX_TITLE:
        raise InvalidIdea(f"the title has {len(title)} characters; keep it under {MAX_TITLE} and "
                          "put the detail in the text")
    if len(text) > MAX_TEXT:
        raise InvalidIdea(f"the text has {len(text)} characters; keep it under {MAX_TEXT}")
    if _CONTROL.search(title) or "\n" in title:
        raise InvalidIdea("the title must be one line of text without control characters")
    if _CONTROL.search(text):
        raise InvalidIdea("the text holds control characters; send plain text")
    if not _NAME.match(actor or ""):
        raise InvalidIdea(f"actor {actor!r} is not a name (letters, digits, _.@-; at most 64)")
    if source not in SOURCES:
        raise InvalidIdea(f"source {source!r} is not one of {', '.join(SOURCES)}")
    return title, text
