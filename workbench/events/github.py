"""GitHub webhook deliveries turned into events.

:func:`verify_signature` checks ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the
webhook secret, compared in constant time) and must pass before a body is parsed.
:class:`GitHubWebhooks` then handles the parsed delivery:

* a ``push`` to a registered project's repository publishes ``repo.pushed`` and queues a map
  of the project when the push moved its default branch (or the default branch is not known
  yet); a branch deletion only publishes;
* a ``pull_request`` opened, synchronised or reopened publishes ``pr.opened``;
* an ``issues`` delivery that opens an issue labelled ``idea`` (or adds that label) captures
  the issue as an idea (``wb.ideas.add``, actor ``webhook``: ``idea.created``), when the
  handler was given a ``capture`` function;
* ``ping``, other event types and actions, and repositories nobody registered are ignored;
* a delivery id seen before is a no-op (GitHub redelivers with the same id).

Projects are matched by the repository's ``clone_url``, ``html_url``, ``ssh_url``, ``git_url``
or ``url`` against their registered location, compared without scheme, credentials, case of
the host, trailing slash and ``.git``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:  # pragma: no cover
    from ..domain import Project
    from ..store import Store
    from .log import EventLog

log = logging.getLogger("workbench.events")

_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")
PR_ACTIONS = ("opened", "synchronize", "reopened")
#: Label that makes an issue an idea.
IDEA_LABEL = "idea"
_ZERO = "0" * 40


def verify_signature(secret: str | bytes, body: bytes, header: str | None) -> bool:
    """True when ``header`` is ``sha256=<hex HMAC-SHA256 of body keyed with secret>``.

    A missing header, another algorithm (``sha1=``) or a wrong digest is False; the digests
    are compared with :func:`hmac.compare_digest` (constant time).
    """
    if not header or not secret or not header.startswith("sha256="):
        return False
    key = secret.encode() if isinstance(secret, str) else secret
    expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode("ascii", "replace"))


def location_key(location: str) -> str:
    """A repository location reduced for comparison: ``host/owner/repo`` or an absolute path."""
    text = location.strip()
    if text.startswith("file://"):
        return str(Path(unquote(urlsplit(text).path)).resolve())
    if text.startswith("/"):
        return str(Path(text).resolve())
    if "://" in text:
        parts = urlsplit(text)
        host, path = (parts.hostname or "").lower(), parts.path
    else:
        match = _SCP.match(text)
        if match is None:
            return text
        host, path = match.group("host").lower(), "/" + match.group("path")
    path = path.rstrip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return f"{host}{path}".lower()


@dataclass
class WebhookResult:
    """What a delivery did: ``status`` is ``processed``, ``ignored`` or ``duplicate``."""

    status: str
    reason: str = ""
    event_ids: list[int] = field(default_factory=list)
    job_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "events": self.event_ids,
                "job": self.job_id}


class GitHubWebhooks:
    """Handles verified, parsed deliveries (see the module docstring).

    ``projects()`` lists the registered projects; ``remap(name)`` queues a map of one and
    returns its job id; ``capture(project, title, text)`` (optional) stores an idea and
    returns its id. Deliveries are recorded in the ``webhook_deliveries`` table.
    """

    def __init__(self, store: "Store", events: "EventLog",
                 projects: Callable[[], "list[Project]"],
                 remap: Callable[[str], int | None],
                 capture: Callable[[str, str, str], int] | None = None) -> None:
        self.store = store
        self.events = events
        self.projects = projects
        self.remap = remap
        self.capture = capture

    def handle(self, event: str, delivery: str | None, payload: Any) -> WebhookResult:
        if not isinstance(payload, dict):
            return WebhookResult("ignored", "the body is not a JSON object")
        repository = payload.get("repository")
        repository = repository if isinstance(repository, dict) else {}
        name = repository.get("full_name") if isinstance(repository.get("full_name"), str) else None
        if delivery and not self.store.events.begin_delivery(delivery, "github", event, name):
            return WebhookResult("duplicate", f"delivery {delivery} was handled already")
        try:
            result = self._handle(event, payload, repository)
        except BaseException as exc:
            if delivery:
                self.store.events.finish_delivery(delivery, "failed", str(exc)[:2000])
            raise
        if delivery:
            self.store.events.finish_delivery(delivery, result.status, result.reason,
                                              result.event_ids)
        return result

    def _handle(self, event: str, payload: dict, repository: dict) -> WebhookResult:
        if event == "ping":
            return WebhookResult("ignored", "ping")
        if event not in ("push", "pull_request") and not (event == "issues" and self.capture):
            return WebhookResult("ignored", f"event type {event or '(none)'!r} is not handled")
        project = self._project(repository)
        if project is None:
            return WebhookResult("ignored", "repository is not registered here")
        if event == "push":
            return self._push(project, payload)
        if event == "issues":
            return self._issue(project, payload)
        return self._pull_request(project, payload)

    def _issue(self, project: "Project", payload: dict) -> WebhookResult:
        from ..errors import WorkbenchError

        issue = payload.get("issue") if isinstance(payload.get("issue"), dict) else {}
        action = payload.get("action")
        names = {str(label.get("name")) for label in issue.get("labels") or ()
                 if isinstance(label, dict)}
        added = payload.get("label") if isinstance(payload.get("label"), dict) else {}
        if not ((action == "opened" and IDEA_LABEL in names)
                or (action == "labeled" and added.get("name") == IDEA_LABEL)):
            return WebhookResult("ignored", f"issues are not handled unless one labelled "
                                            f"{IDEA_LABEL!r} is opened, or gets that label")
        title = str(issue.get("title") or "").strip()[:200]
        body = str(issue.get("body") or "")
        if isinstance(issue.get("html_url"), str):
            body = f"{body}\n\n({issue['html_url']})".strip()
        try:
            idea_id = self.capture(project.name, title, body[:20_000])
        except WorkbenchError as exc:  # an idea refused (no title, control characters ...)
            return WebhookResult("ignored", f"issue not captured: {exc}")
        return WebhookResult("processed", f"idea #{idea_id} captured")

    def _project(self, repository: dict) -> "Project | None":
        keys = {location_key(v) for k in ("clone_url", "html_url", "ssh_url", "git_url", "url")
                if isinstance(v := repository.get(k), str) and v}
        if not keys:
            return None
        return next((p for p in self.projects() if location_key(p.source) in keys), None)

    def _push(self, project: "Project", payload: dict) -> WebhookResult:
        ref, after = payload.get("ref"), payload.get("after")
        if not isinstance(ref, str) or not isinstance(after, str):
            return WebhookResult("ignored", "push without ref or after")
        before = payload.get("before") if isinstance(payload.get("before"), str) else None
        event = self.events.publish("repo.pushed", {
            "project": project.name, "ref": ref, "before": before, "after": after,
            "deleted": bool(payload.get("deleted")) or after == _ZERO}, actor="github")
        branch = project.default_branch
        if after == _ZERO or payload.get("deleted"):
            return WebhookResult("processed", "branch deleted; nothing to map", [event.id])
        if branch is not None and ref != f"refs/heads/{branch}":
            return WebhookResult("processed", f"{ref} is not the default branch; not mapped",
                                 [event.id])
        job_id = self.remap(project.name)
        return WebhookResult("processed", "map queued", [event.id], job_id)

    def _pull_request(self, project: "Project", payload: dict) -> WebhookResult:
        action = payload.get("action")
        pr = payload.get("pull_request")
        if action not in PR_ACTIONS or not isinstance(pr, dict):
            return WebhookResult("ignored", f"pull_request action {action!r} is not handled")
        head = pr.get("head") if isinstance(pr.get("head"), dict) else {}
        base = pr.get("base") if isinstance(pr.get("base"), dict) else {}
        number = payload.get("number", pr.get("number"))
        event = self.events.publish("pr.opened", {
            "project": project.name,
            "number": number if isinstance(number, int) and not isinstance(number, bool) else None,
            "title": str(pr.get("title") or ""), "head_ref": str(head.get("ref") or ""),
            "head_sha": head.get("sha") if isinstance(head.get("sha"), str) else None,
            "base_ref": str(base.get("ref") or ""),
            "url": pr.get("html_url") if isinstance(pr.get("html_url"), str) else None,
            "source": "github", "action": action}, actor="github")
        return WebhookResult("processed", f"pull request {action}", [event.id])
