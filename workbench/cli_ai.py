"""CLI verbs for asking the codebase: ``ask``, ``ai models|default|conversations|show``, ``mcp``.

Each command opens the facade, calls one method and prints the result; ``ask`` streams the
answer to the terminal as it arrives, then lists the citations (✗: not in the snapshot).
"""

from __future__ import annotations

import sys

import click

from .cli_common import WORDS, Group, handle_errors, open_workbench
from .cli_query import _show as _table


@click.command("ask")
@click.argument("question", type=WORDS)
@click.option("-p", "--project", required=True, help="The project to ask about.")
@click.option("--provider", help="openai, goose or extractive [the project's default].")
@click.option("--model", help="The model to ask [the project's default, then OPENAI_MODEL].")
@click.option("--conversation", type=click.IntRange(min=1), help="Continue this conversation (its id).")
@click.option("--budget", type=click.IntRange(min=1), metavar="TOKENS",
              help="Most tokens of context to send [what the window leaves: the model's, "
                   "or a fixed 8,192 tokens with the extractive provider].")
@click.option("--show-context", is_flag=True, help="Print what was sent and why, after the answer.")
@click.pass_context
@handle_errors
def ask_cmd(ctx, question: str, project: str, provider: str | None, model: str | None,
            conversation: int | None, budget: int | None, show_context: bool) -> None:
    """Ask QUESTION about PROJECT's map; the answer streams, then its citations."""
    wb = open_workbench(ctx)

    open_line = [False]  # streamed text not ended by a line break yet

    def delta(piece: str) -> None:
        sys.stdout.write(piece)
        sys.stdout.flush()
        if piece:
            open_line[0] = not piece.endswith("\n")

    try:
        answer = wb.ask(question, project, conversation=conversation, provider=provider,
                        model=model, budget=budget, on_delta=delta)
    except BaseException:
        if open_line[0]:  # a stream cut short: its error starts a line of its own
            click.echo("")
        raise
    click.echo("")
    label = "extracted, no model" if answer.extracted else f"{answer.provider}/{answer.model}"
    used = answer.usage.get("total_tokens")
    click.echo(f"\n— {label}; conversation {answer.conversation_id}; {answer.latency:.1f} s"
               + (f"; {used} tokens" if used else "")
               + (f"; {len(answer.tool_calls)} tool calls" if answer.tool_calls else "")
               + ("" if answer.status == "complete" else f"; {answer.status}"))
    _print_citations(answer.citations)
    if show_context:
        click.echo("\n" + answer.show_context())


def _print_citations(citations) -> None:
    """The ranges an answer names, ✓ when the snapshot has them, ✗ when invented."""
    if citations:
        click.echo("citations:")
        for c in citations:
            click.echo(f"  {'✓' if c.valid else '✗'} {c}" + ("" if c.valid else
                                                             "  (not in the snapshot)"))


@click.group("ai", cls=Group)
def ai() -> None:
    """Models, project defaults and conversations of `workbench ask`."""


@ai.command("models")
@click.pass_context
@handle_errors
def ai_models(ctx) -> None:
    """Every configured provider's models: context window, tools, default."""
    _table(open_workbench(ctx).models())


@ai.command("default")
@click.argument("model", required=False)
@click.option("-p", "--project", required=True, help="The project whose default is set.")
@click.option("--provider", help="openai, goose or extractive (or write MODEL as provider:model).")
@click.option("--clear", is_flag=True, help="Forget the project's default.")
@click.pass_context
@handle_errors
def ai_default(ctx, model: str | None, project: str, provider: str | None, clear: bool) -> None:
    """Set (or --clear) the model PROJECT's questions use unless told."""
    if clear == bool(model or provider):
        raise click.UsageError("give MODEL (or --provider), or --clear")
    result = open_workbench(ctx).set_default_model(project, None if clear else model,
                                                   None if clear else provider)
    if result["provider"] is None:
        click.echo(f"project {project}: no default model (configuration decides)")
    else:
        click.echo(f"project {project}: {result['provider']}"
                   + (f"/{result['model']}" if result["model"] else ""))


@ai.command("conversations")
@click.option("-p", "--project", required=True, help="The project whose conversations to list.")
@click.pass_context
@handle_errors
def ai_conversations(ctx, project: str) -> None:
    """PROJECT's conversations, newest first."""
    _table(open_workbench(ctx).conversations(project), "(no conversations)")


@ai.command("show")
@click.argument("conversation", type=click.IntRange(min=1))
@click.pass_context
@handle_errors
def ai_show(ctx, conversation: int) -> None:
    """The messages of CONVERSATION, with status and citations."""
    from .ai.records import Citation

    frame = open_workbench(ctx).conversation(conversation)
    for m in frame.to_dict("records"):
        chosen = f" {m['provider']}" + (f"/{m['model']}" if m["model"] else "")
        head = f"[{m['role']}]" + (chosen if m["role"] == "assistant"
                                   else "") + ("" if m["status"] == "complete"
                                               else f" ({m['status']}: {m['error']})")
        click.echo(f"{head}\n{m['content']}")
        _print_citations([Citation(**c) for c in m["citations"] or ()])
        click.echo("")


@click.command("mcp")
@click.option("-p", "--project", help="Serve this project only (else tools take a project).")
@click.pass_context
@handle_errors
def mcp_cmd(ctx, project: str | None) -> None:
    """Serve the map's read-only tools over the Model Context Protocol (stdio)."""
    from .mcp_server import serve

    if project is not None:  # refused here, not by every tool call of a server that started
        wb = open_workbench(ctx)
        wb.project(project)
        wb.close()
    serve(ctx.find_root().obj, project)
