"""Reads and writes of ``conversations``, ``messages`` and ``model_defaults``.

A conversation belongs to a project; its messages are the user's questions and the answers,
each answer with the provider, model, latency, token use, the context record, the tool calls
and the checked citations (JSON). A question is written before the provider is asked, so a
failed or cut answer still leaves the question (and any partial text) in the conversation.
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
        values = [conversation_id, role, content, status, provider, model, snapshot_id,
                  latency_seconds, prompt_tokens, completion_tokens,
                  json.dumps(context) if context is not None else None,
                  json.dumps(tool_calls) if tool_calls is not None else None,
                  json.dumps(citations) if citations is not None else None, extracted, error]

        def write(cur):
            new_id = cur.execute(
                "INSERT INTO messages (conversation_id, role, content, status, provider, model,"
                " snapshot_id, latency_seconds, prompt_tokens, completion_tokens, context,"
                " tool_calls, citations, extracted, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                values).fetchone()[0]
            cur.execute("UPDATE conversations SET updated_at = now(), provider = coalesce(?, provider),"
                        " model = coalesce(?, model) WHERE id = ?",
                        [provider, model, conversation_id])
            return new_id

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
