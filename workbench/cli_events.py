"""``workbench events ...`` (the event log) and ``workbench serve`` (the HTTP face)."""

from __future__ import annotations

import difflib
import json
import os
import sys
import threading

import click

from .cli_common import Group, _fail, echo_table, handle_errors, open_workbench


def _line(event) -> str:
    when = event.created_at.strftime("%Y-%m-%d %H:%M:%S")
    payload = json.dumps(event.payload, separators=(",", ":"))
    if len(payload) > 120:
        payload = payload[:117] + "..."
    from .text_tables import clip  # events stream in: fixed columns, each line fitted

    return clip(f"#{event.id:<7} {when}  {event.type:<14} {event.actor:<10} {payload}")


def _types(values: tuple[str, ...]) -> list[str] | None:
    names = [t.strip() for v in values for t in v.split(",") if t.strip()]
    return names or None


_TYPE_HELP = "Only events of this type (repeatable, or comma-separated)."


@click.group(cls=Group)
def events() -> None:
    """The event log: list, follow, replay, dead letters."""


@events.command("list")
@click.option("--after", type=click.IntRange(min=0), default=None,
              help="Events after this id [the last --limit].")
@click.option("--type", "types", multiple=True, help=_TYPE_HELP)
@click.option("--limit", type=click.IntRange(1, 100_000), default=20, show_default=True,
              help="At most this many events.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
@handle_errors
def events_list(ctx, after: int | None, types: tuple[str, ...], limit: int,
                as_json: bool) -> None:
    """List events, oldest first (the newest --limit unless --after is given)."""
    log = open_workbench(ctx).events
    if after is None:
        after = max(0, log.head() - limit) if not types else 0
        found = log.read(after, _types(types), 1_000_000 if types else limit)[-limit:]
    else:
        found = log.read(after, _types(types), limit)
    for event in found:
        click.echo(json.dumps(event.to_dict()) if as_json else _line(event))
    if not found and not as_json:
        click.echo("no events")


@events.command("tail")
@click.option("--type", "types", multiple=True, help=_TYPE_HELP)
@click.option("--after", type=click.IntRange(min=0), default=None,
              help="Start after this id [the newest].")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--count", type=click.IntRange(min=1), default=None,
              help="Stop after this many events.")
@click.pass_context
@handle_errors
def events_tail(ctx, types: tuple[str, ...], after: int | None, as_json: bool,
                count: int | None) -> None:
    """Print events as they are published, until Ctrl-C (or --count events)."""
    log = open_workbench(ctx).events
    done = threading.Event()
    seen = [0]

    def show(event) -> None:
        if done.is_set():
            return
        click.echo(json.dumps(event.to_dict()) if as_json else _line(event))
        sys.stdout.flush()
        seen[0] += 1
        if count is not None and seen[0] >= count:
            done.set()

    follower = log.follow(show, types=_types(types), after=after)
    try:
        while not done.wait(0.5):
            pass
    finally:
        follower.close()


@events.command("replay")
@click.argument("consumer")
@click.argument("from_id", type=click.IntRange(min=1))
@click.option("--create", is_flag=True,
              help="Start CONSUMER as a new consumer at FROM_ID when it does not exist yet "
                   "(without it an unknown name is refused).")
@click.pass_context
@handle_errors
def events_replay(ctx, consumer: str, from_id: int, create: bool) -> None:
    """Deliver every event from FROM_ID on to CONSUMER again (on its next poll)."""
    open_workbench(ctx).events.replay(consumer, from_id, create=create)
    click.echo(f"consumer {consumer} will receive events from #{from_id} on")


@events.command("consumers")
@click.pass_context
@handle_errors
def events_consumers(ctx) -> None:
    """Durable consumers: position, events waiting, holder, dead letters."""
    found = open_workbench(ctx).events.consumers()
    if not found:
        click.echo("no consumers")
        return
    echo_table(["CONSUMER", "POSITION", "PENDING", "DEAD", "HELD BY"],
               [[c.name, c.position, c.pending, c.dead_letters, c.owner or "-"] for c in found],
               right=(1, 2, 3), keep=(0,))


@events.command("dead")
@click.option("--consumer", help="Only this consumer's dead letters.")
@click.option("--all", "include_resolved", is_flag=True, help="Resolved ones too.")
@click.pass_context
@handle_errors
def events_dead(ctx, consumer: str | None, include_resolved: bool) -> None:
    """Dead letters: events a consumer's handler kept failing on."""
    log = open_workbench(ctx).events
    found = log.dead_letters(consumer, include_resolved=include_resolved)
    if not found and consumer is not None:  # a mistyped name is not "no dead letters"
        known = [c.name for c in log.consumers()]
        if consumer not in known:
            close = difflib.get_close_matches(consumer, known, n=1, cutoff=0.6)
            listed = ((f"; did you mean {close[0]!r}?" if close else ".")
                      + f" Known consumers: {', '.join(known)}." if known
                      else "; there are no consumers yet.")
            _fail(f"no consumer {consumer!r}{listed}", 1)
    if not found:
        click.echo("no dead letters")
        return
    echo_table(["ID", "STATUS", "CONSUMER", "EVENT", "TYPE", "ATTEMPTS", "ERROR"],
               [[f"#{d.id}", d.status, d.consumer, f"#{d.event_id}", d.event_type, d.attempts,
                 d.error.splitlines()[0] if d.error else ""] for d in found],
               right=(5,), keep=(0, 1, 2, 3, 4, 5))  # the error is cut


@events.command("retry")
@click.argument("dead_id", type=click.IntRange(min=1))
@click.pass_context
@handle_errors
def events_retry(ctx, dead_id: int) -> None:
    """Queue dead letter DEAD_ID again for its consumer (handled on its next poll)."""
    log = open_workbench(ctx).events
    if log.dead_letter(dead_id).status == "retrying":
        d = log.retry_dead_letter(dead_id)  # refused when handled meanwhile
        click.echo(f"dead letter #{d.id} ({d.event_type} #{d.event_id}) is queued already for "
                   f"{d.consumer}: its next poll takes it")
        return
    d = log.retry_dead_letter(dead_id)
    click.echo(f"dead letter #{d.id} ({d.event_type} #{d.event_id}) queued again for "
               f"{d.consumer}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface; put TLS in front).")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True,
              help="TCP port.")
@click.pass_context
@handle_errors
def serve_cmd(ctx, host: str, port: int) -> None:
    """Serve the JSON API, GitHub webhooks and live events until Ctrl-C."""
    from .facade import Workbench
    from .server import create_app, new_token, serve

    root = ctx.find_root()
    wb = Workbench(root.obj, background=True)
    root.meta["workbench"] = wb
    token = wb.config.api_token
    if token is None:
        token = new_token()
        click.echo(f"API token (a new one each start; set WORKBENCH_API_TOKEN to keep one): "
                   f"{token}", err=True)
    secret = wb.config.webhook_secret
    if secret is None:
        click.echo("webhooks are off: set WORKBENCH_WEBHOOK_SECRET to accept GitHub deliveries",
                   err=True)
    click.echo(f"serving http://{host}:{port} (events: {wb.config.events.split('@')[-1]})",
               err=True)
    app = create_app(wb, token=token, webhook_secret=secret, agents=True)
    try:
        serve(app, host=host, port=port,
              log_level="debug" if os.environ.get("WORKBENCH_DEBUG") else "info")
    finally:
        wb.close()
