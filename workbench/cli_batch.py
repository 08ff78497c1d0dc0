"""The ``workbench batch``, ``workbench schedule`` and ``workbench scheduler`` commands.

Registered on the main group by :mod:`workbench.cli`. Like every command they open the facade,
call one ``wb.batch`` method and render the result.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from .cli_common import Group, _when, echo_table, handle_errors
from .cli_common import open_workbench as _wb

PARAM_HELP = ("Notebook parameter NAME VALUE (repeatable); VALUE is read as the type the "
              "notebook declares for NAME (a str stays a string: -p ref 1.0), else as JSON "
              "(2, true, null, [1,2], {\"a\":1}), else taken as a plain string.")


def _parameters(notebook: str, pairs) -> dict:
    """``-p`` pairs typed by the notebook's parameters cell."""
    from .batch.declared import declared_parameters
    from .batch.runs import parse_parameters, resolve_notebook

    return parse_parameters(pairs, declared_parameters(resolve_notebook(notebook)))


@click.group(cls=Group)
def batch() -> None:
    """Run notebooks headless with papermill and list the recorded runs."""


@batch.command("run")
@click.argument("notebook")
@click.option("-p", "--parameter", "parameters", nargs=2, multiple=True,
              metavar="NAME VALUE", help=PARAM_HELP)
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write the executed notebook and HTML [data/runs/NOTEBOOK_STEM]; "
                   "a relative DIR lies under data/runs, an absolute one is used as given.")
@click.pass_context
@handle_errors
def batch_run(ctx, notebook: str, parameters, output_dir: Path | None) -> None:
    """Run NOTEBOOK (a path, or a name in notebooks/) now and record the run."""
    run = _wb(ctx).batch.run(notebook, _parameters(notebook, parameters), output_dir=output_dir)
    run.raise_for_status()
    click.echo(f"run #{run.id} {run.status} in {run.duration_seconds or 0:.1f} s")
    click.echo(f"notebook: {run.output_ipynb}")
    click.echo(f"html:     {run.output_html}")


@batch.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many runs to show.")
@click.option("--schedule", "schedule_name", metavar="NAME", help="Only the runs of this schedule.")
@click.pass_context
@handle_errors
def batch_list(ctx, limit: int, schedule_name: str | None) -> None:
    """List the newest batch runs with their status and outputs."""
    runs = _wb(ctx).batch.runs(limit, schedule=schedule_name)
    names = _schedule_names(ctx)
    if not runs:
        click.echo("no runs yet; start one with `workbench batch run NOTEBOOK`")
        return
    rows = []
    for r in runs:
        detail = (f"cell {r.error_cell}: {r.error}" if r.error_cell else r.error) if r.error \
            else str(r.output_html or "")
        seconds = f"{r.duration_seconds:.1f}" if r.duration_seconds is not None else "-"
        rows.append([r.id, r.status, _when(r.started_at or r.created_at), seconds,
                     names.get(r.schedule_id, "-"), Path(r.notebook).name, detail])
    echo_table(["ID", "STATUS", "STARTED (UTC)", "SECONDS", "SCHEDULE", "NOTEBOOK",
                "OUTPUT / ERROR"], rows, right=(3,), keep=(0, 1, 2, 3))


def _schedule_names(ctx) -> dict:
    """Schedule id -> name (a removed schedule's runs keep their id; shown as ``#id``)."""
    return _ScheduleNames({s.id: s.name for s in _wb(ctx).batch.schedules()})


class _ScheduleNames(dict):
    def get(self, key, default=None):
        if key is None:
            return default
        return super().get(key, f"#{key} (removed)")


@click.group(cls=Group)
def schedule() -> None:
    """Run notebooks by cron expression (UTC): add, list, remove, run what is due."""


@schedule.command("add")
@click.argument("name")
@click.argument("notebook")
@click.option("--cron", required=True, metavar="EXPR",
              help="Five-field cron expression in UTC, e.g. \"0 3 * * *\" (or @daily, @hourly ...).")
@click.option("-p", "--parameter", "parameters", nargs=2, multiple=True,
              metavar="NAME VALUE", help=PARAM_HELP)
@click.option("--catch-up", type=click.Choice(["latest", "skip", "all"]), default="latest",
              show_default=True,
              help="Missed occurrences: run once (latest), not at all (skip), each, at most 10 (all).")
@click.pass_context
@handle_errors
def schedule_add(ctx, name: str, notebook: str, cron: str, parameters, catch_up: str) -> None:
    """Add schedule NAME running NOTEBOOK at every occurrence of --cron."""
    s = _wb(ctx).batch.add_schedule(name, notebook, cron, _parameters(notebook, parameters),
                                   catch_up)
    click.echo(f"added schedule {s.name} ({s.cron}, catch-up {s.catch_up}); "
               f"next run {_when(s.next_due)} UTC")


@schedule.command("list")
@click.pass_context
@handle_errors
def schedule_list(ctx) -> None:
    """List schedules with their cron expression, next due time and last run."""
    schedules = _wb(ctx).batch.schedules()
    if not schedules:
        click.echo("no schedules yet; add one with `workbench schedule add NAME NOTEBOOK --cron EXPR`")
        return
    echo_table(["NAME", "CRON", "CATCH-UP", "NEXT DUE (UTC)", "LAST RUN", "NOTEBOOK", "PARAMETERS"],
               [[s.name + ("" if s.enabled else " (disabled)"), s.cron, s.catch_up,
                 _when(s.next_due), f"#{s.last_run_id}" if s.last_run_id else "-",
                 Path(s.notebook).name, json.dumps(s.parameters)] for s in schedules],
               keep=(0, 1, 2, 3, 4))  # notebook and parameters are cut


@schedule.command("remove")
@click.argument("name")
@click.pass_context
@handle_errors
def schedule_remove(ctx, name: str) -> None:
    """Remove schedule NAME (its past runs stay listed)."""
    _wb(ctx).batch.remove_schedule(name)
    click.echo(f"removed schedule {name}")


@schedule.command("run-due")
@click.pass_context
@handle_errors
def schedule_run_due(ctx) -> None:
    """Run every due schedule once and exit (for cron or a systemd timer)."""
    runs = _wb(ctx).batch.run_due()
    names = _schedule_names(ctx)
    for r in runs:
        click.echo(f"run #{r.id} schedule {names.get(r.schedule_id, r.schedule_id)} {r.status}: "
                   f"{r.output_html or r.error}")
    from .batch.runs import raise_for_runs

    raise_for_runs(runs)
    if not runs:
        click.echo("nothing due")


@click.command()
@click.option("--poll", default=30.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Look for new or changed schedules at least this often (seconds).")
@click.pass_context
@handle_errors
def scheduler(ctx, poll: float) -> None:
    """Run schedules in the foreground until SIGTERM or Ctrl-C (a second one interrupts a run)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    _wb(ctx).batch.run_forever(poll_seconds=poll)
