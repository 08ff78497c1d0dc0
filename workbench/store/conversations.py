"""Reads and writes of ``conversations``, ``messages`` and ``model_defaults``.

A conversation belongs to a project; its messages are the user's questions and the answers,
each answer with the provider, model, latency, token use, the context record, the tool calls
and the checked citations (JSON). A question and its answer are written together
(:meth:`ConversationsTable.add_exchange`) once the answer is known, or once part of one arrived
before a failure: a question that got no answer text leaves no message, nor a new conversation.
"""

from __future__ import annotations

import json
from typing import Any

from .database import Database

MESSAGE_COLUMNS = (
    "id", "conversation_id", "role", "content", "status", "provider", "model", "snapshot_id",
    "latency_seconds", "prompt_tokens", "completion_tokens", "context", "tool_calls",
    "citations", "extracted", "error", "created_at",
)
CONVERSATION_COLUMNS = ("id", "project_id", "title", "provider", "model", "created_at",
                        "updated_at")
_JSON = ("context", "tool_calls", "citations")


def _message(values: tuple) -> dict[str, Any]:
    row = dict(zip(MESSAGE_COLUMNS, values))
    for key in _JSON:
        row[key] = json.loads(row[key]) if row[key] else None
    return row


class ConversationsTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, project_id: int, title: str, provider: str | None,
               model: str | None) -> int:
        return self.db.write(lambda cur: cur.execute(
            "INSERT INTO conversations (project_id, title, provider, model) VALUES (?, ?, ?, ?)"
            " RETURNING id", [project_id, title[:200], provider, model]).fetchone()[0])

    def get(self, conversation_id: int) -> dict[str, Any] | None:
        rows = self.db.query(f"SELECT {', '.join(CONVERSATION_COLUMNS)} FROM conversations"
                             " WHERE id = ?", [conversation_id])
        return dict(zip(CONVERSATION_COLUMNS, rows[0])) if rows else None

    def list(self, project_id: int, *, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT c.id, c.title, c.provider, c.model, c.created_at, c.updated_at,"
            " (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)"
            " FROM conversations c WHERE c.project_id = ? ORDER BY c.updated_at DESC, c.id DESC"
            " LIMIT ?", [project_id, limit])
        cols = ("id", "title", "provider", "model", "created_at", "updated_at", "messages")
        return [dict(zip(cols, r)) for r in rows]

    def add_message(self, conversation_id: int, role: str, content: str, *,
                    status: str = "complete", provider: str | None = None,
                    model: str | None = None, snapshot_id: int | None = None,
                    latency_seconds: float | None = None, prompt_tokens: int | None = None,
                    completion_tokens: int | None = None, context: dict | None = None,
                    tool_calls: list | None = None, citations: list | None = None,
                    extracted: bool = False, error: str | None = None) -> int:
        fields = dict(status=status, provider=provider, model=model, snapshot_id=snapshot_id,
                      latency_seconds=latency_seconds, prompt_tokens=prompt_tokens,
                      completion_tokens=completion_tokens, context=context,
                      tool_calls=tool_calls, citations=citations, extracted=extracted,
                      error=error)
        return self.db.write(lambda cur: _insert(cur, conversation_id, role, content, fields))

    def add_exchange(self, conversation_id: int | None, question: dict[str, Any],
                     answer: dict[str, Any], *, project_id: int, title: str) -> tuple[int, int]:
        """Write a question and its answer in one transaction: (conversation id, answer's
        message id). ``conversation_id=None`` creates the conversation (``project_id``,
        ``title``) in the same transaction. ``question`` and ``answer`` are
        :meth:`add_message`'s keyword arguments with ``content`` (and ``role``, by default
        user and assistant)."""

        def write(cur):
            conv = conversation_id
            if conv is None:
                conv = cur.execute(
                    "INSERT INTO conversations (project_id, title, provider, model)"
                    " VALUES (?, ?, ?, ?) RETURNING id",
                    [project_id, title[:200], answer.get("provider"),
                     answer.get("model")]).fetchone()[0]
            ids = [_insert(cur, conv, message.pop("role", role), message.pop("content"), message)
                   for role, message in (("user", dict(question)), ("assistant", dict(answer)))]
            return conv, ids[-1]

        return self.db.write(write)

    def messages(self, conversation_id: int) -> list[dict[str, Any]]:
        rows = self.db.query(f"SELECT {', '.join(MESSAGE_COLUMNS)} FROM messages"
                             " WHERE conversation_id = ? ORDER BY id", [conversation_id])
        return [_message(r) for r in rows]

    def set_default(self, project_id: int, provider: str, model: str | None) -> None:
        self.db.write(lambda cur: cur.execute(
            "INSERT INTO model_defaults (project_id, provider, model) VALUES (?, ?, ?)"
            " ON CONFLICT (project_id) DO UPDATE SET provider = excluded.provider,"
            " model = excluded.model, updated_at = now()", [project_id, provider, model]))

    def clear_default(self, project_id: int) -> None:
        self.db.write(lambda cur: cur.execute(
            "DELETE FROM model_defaults WHERE project_id = ?", [project_id]))

    def default(self, project_id: int) -> tuple[str, str | None] | None:
        rows = self.db.query("SELECT provider, model FROM model_defaults WHERE project_id = ?",
                             [project_id])
        return (rows[0][0], rows[0][1]) if rows else None


_FIELDS = ("status", "provider", "model", "snapshot_id", "latency_seconds", "prompt_tokens",
           "completion_tokens", "context", "tool_calls", "citations", "extracted", "error")
_DEFAULTS = {"status": "complete", "extracted": False}


def _insert(cur, conversation_id: int, role: str, content: str, fields: dict[str, Any]) -> int:
    """Insert one message and touch its conversation; the message's id."""
    unknown = set(fields) - set(_FIELDS)
    if unknown:
        raise TypeError(f"unknown message fields: {sorted(unknown)}")
    row = {**_DEFAULTS, **fields}
    values = [conversation_id, role, content] + [
        json.dumps(row[k]) if k in _JSON and row.get(k) is not None else row.get(k)
        for k in _FIELDS]
    new_id = cur.execute(
        "INSERT INTO messages (conversation_id, role, content, status, provider, model,"
        " snapshot_id, latency_seconds, prompt_tokens, completion_tokens, context,"
        " tool_calls, citations, extracted, error)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        values).fetchone()[0]
    cur.execute("UPDATE conversations SET updated_at = now(), provider = coalesce(?, provider),"
                " model = coalesce(?, model) WHERE id = ?",
                [row.get("provider"), row.get("model"), conversation_id])
    return new_id
