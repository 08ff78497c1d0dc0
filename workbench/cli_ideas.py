"""``workbench idea``, ``workbench tasks`` and ``workbench review``: the idea → spec → tasks →
review pipeline from the shell."""

from __future__ import annotations

import sys

import click

from .cli_common import WORDS, Group, _fail, echo_table, handle_errors, open_workbench


@click.group(cls=Group)
def idea() -> None:
    """Capture ideas and see their specs and tasks."""


@idea.command("add")
@click.argument("title", type=WORDS)
@click.option("--text", "-t", default="", help="What should change and why (plain text).")
@click.option("--project", "-p", required=True, help="The project the idea is about.")
@click.option("--no-run", is_flag=True, help="Only capture the idea; the agents run later.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=300.0,
              show_default=True,
              help="Seconds to wait for the spec and the plan.")
@click.pass_context
@handle_errors
def idea_add(ctx, title: str, text: str, project: str, no_run: bool, timeout: float) -> None:
    """Capture idea TITLE for a project; then write its spec and plan (unless --no-run)."""
    wb = open_workbench(ctx)
    found = wb.ideas.add(project, title, text, source="cli", run=not no_run, timeout=timeout)
    _report_run(wb, found, show=not no_run, timeout=timeout)


@idea.command("run")
@click.argument("idea_id", type=click.IntRange(min=1))
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=300.0,
              show_default=True,
              help="Seconds to wait for the spec and the plan.")
@click.pass_context
@handle_errors
def idea_run(ctx, idea_id: int, timeout: float) -> None:
    """Write the spec and plan of idea IDEA_ID now: one captured with --no-run, or one that
    failed, once its cause is fixed (say, the project is mapped). A planned idea keeps its
    spec and tasks."""
    wb = open_workbench(ctx)
    _report_run(wb, wb.ideas.run(idea_id, timeout=timeout), show=True, timeout=timeout)


def _report_run(wb, found, *, show: bool, timeout: float | None = None) -> None:
    """The idea's status line; a failed idea's error with how to run it again (exit 1), else,
    with ``show``, its spec and tasks. An idea still unplanned when the wait of ``timeout``
    seconds ended is kept as it is, and said so with how to finish it (exit 1)."""
    from .agents.service import SETTLED

    click.echo(f"idea #{found.id} {found.status}: {found.title}")
    if found.status == "failed":
        _fail(f"{found.error or 'the agents failed'}; then run the idea again with "
              f"`workbench idea run {found.id}`", 1)
    if show:
        _show_spec_and_tasks(wb, found.id)
        if timeout is not None and found.status not in SETTLED:
            _fail(f"the spec and plan were not done within {timeout:g} s; idea #{found.id} is "
                  f"kept ({found.status}): finish it with `workbench idea run {found.id}` "
                  "(--timeout to wait longer)", 1)


@idea.command("list")
@click.option("--project", "-p", help="Only this project's ideas.")
@click.pass_context
@handle_errors
def idea_list(ctx, project: str | None) -> None:
    """List ideas with their status and how many tasks they became."""
    frame = open_workbench(ctx).ideas.list(project)
    if frame.empty:
        click.echo("no ideas yet; add one with `workbench idea add TITLE -p PROJECT`")
        return
    echo_table(["ID", "PROJECT", "STATUS", "TASKS", "TITLE"],
               [[row.id, row.project, row.status, row.tasks, row.title]
                for row in frame.itertuples()], right=(0, 3), keep=(0, 1, 2, 3))


@idea.command("show")
@click.argument("idea_id", type=click.IntRange(min=1))
@click.pass_context
@handle_errors
def idea_show(ctx, idea_id: int) -> None:
    """Show idea IDEA_ID with its spec and tasks."""
    wb = open_workbench(ctx)
    found = wb.ideas.get(idea_id)
    click.echo(f"idea #{found.id} [{found.status}] {found.title}  (project {found.project}, "
               f"by {found.actor} via {found.source})")
    if found.text:
        click.echo(f"  {found.text}")
    if found.error:
        click.echo(f"  error: {found.error}")
    _show_spec_and_tasks(wb, idea_id)


def _show_spec_and_tasks(wb, idea_id: int) -> None:
    spec = wb.ideas.spec(idea_id)
    if spec is None:
        click.echo("no spec yet")
        return
    by = spec.author + (f" ({spec.model})" if spec.model else "")
    click.echo(f"\nspec #{spec.id} by {by} at snapshot #{spec.snapshot_id}\nproblem: {spec.problem}")
    for title, items in (("goals", spec.goals), ("requirements", spec.requirements),
                         ("acceptance criteria", spec.acceptance)):
        click.echo(f"{title}:")
        for item in items:
            click.echo(f"  - {item}")
    click.echo("code areas:" if spec.code_areas else
               "code areas: none; no code was found for this idea (the requirements say what "
               "to do)")
    for a in spec.code_areas:
        where = f"{a.path}:{a.line_start}" if a.path and a.line_start else (a.path or "")
        click.echo(f"  - {a.node} [{a.kind}] {where}  via {a.found_by}; impact "
                   f"{a.impact_count} file(s)"
                   + (f" ({', '.join(a.impact[:3])}{', ...' if a.impact_count > 3 else ''})"
                      if a.impact_count else ""))
    click.echo("")
    _print_tasks(wb.ideas.task_list(idea_id=idea_id))


def _print_tasks(tasks) -> None:
    if not tasks:
        click.echo("no tasks yet")
        return
    from .text_tables import clip, table_lines

    header, *rows = table_lines(
        ["ID", "STATUS", "HOURS", "AFTER", "TITLE"],
        [[t.id, t.status, f"{t.estimate_hours or 0:.1f}", ",".join(map(str, t.depends_on)) or "-",
          t.title] for t in tasks], right=(0, 2), keep=(0, 1, 2, 3))
    click.echo(header)
    for t, row in zip(tasks, rows):
        click.echo(row)
        if t.touched:
            click.echo(clip(f"{'':>6}touches: {', '.join(t.touched[:5])}"))
        if t.impacted:
            files = t.impacted_files
            click.echo(clip(f"{'':>6}impact:  {'at least ' if t.impact_capped else ''}"
                            f"{len(files)} other file(s)"
                            + (f" ({', '.join(files[:3])}{', ...' if len(files) > 3 else ''})"
                               if files else "")
                            + f"; nearest: {', '.join(t.impacted[:3])}"))


@click.command("tasks")
@click.option("--project", "-p", required=True, help="The project whose tasks to list.")
@click.pass_context
@handle_errors
def tasks_cmd(ctx, project: str) -> None:
    """List a project's tasks: status, estimate, dependencies, nodes touched and impact."""
    _print_tasks(open_workbench(ctx).ideas.task_list(project))


@click.command("review")
@click.option("--project", "-p", required=True, help="The project the branch belongs to.")
@click.option("--head", required=True, help="Branch, tag or commit to review.")
@click.option("--base", help="What it would merge into [the default branch].")
@click.pass_context
@handle_errors
def review_cmd(ctx, project: str, head: str, base: str | None) -> None:
    """Review a branch against the map (exit 3 when the verdict is blocked)."""
    r = open_workbench(ctx).ideas.review(project, head, base, source="user")
    c = r.counts
    # the base's snapshot is of the merge base, as a pull request's diff is
    click.echo(f"review #{r.id} of {r.head_ref} ({r.head_sha[:12]}) against {r.base_ref} "
               f"(merge base {r.base_sha[:12]}): {r.verdict.upper()}")
    for reason in r.reasons:
        click.echo(f"  - {reason}")
    click.echo(f"nodes +{c['nodes_added']} -{c['nodes_removed']}, edges +{c['edges_added']} "
               f"-{c['edges_removed']}, new cycles {c['cycles_new']}, new contract violations "
               f"{c['violations_new']}")
    click.echo(f"changed ({len(r.changed)}): {', '.join(r.changed[:8]) or '-'}"
               f"{', ...' if len(r.changed) > 8 else ''}")
    click.echo(f"impact ({len(r.impact)} files): {', '.join(r.impact[:8]) or '-'}")
    click.echo(f"tasks covered: {', '.join(f'#{t}' for t in r.task_ids) or 'none'}")
    if r.verdict == "blocked":
        sys.exit(3)


