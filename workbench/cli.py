"""The ``workbench`` command: the facade's verbs for the shell.

Every command opens the facade, calls one method and renders the result. User errors print
one line (``error: …``) and exit 1; usage errors print one line naming the ``--help`` to read
and exit 2; an unexpected failure prints one line too and exits 2 (``WORKBENCH_DEBUG=1``
shows the traceback).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click

from . import faces
from .cli_common import (Group, OneLineErrors, ProgressBar, _fail, _when, echo_table,
                         handle_errors, open_workbench)
from .domain import FINISHED_STATUSES
from .repos.shallow import truncation_note
from .text_tables import table_lines

#: Commands defined in other modules, loaded when named (or listed by ``--help``), so that
#: ``workbench status`` and ``workbench map`` do not import every command's module.
COMMANDS: dict[str, tuple[str, str]] = {
    "query": ("cli_query", "query"), "diff": ("cli_query", "diff_cmd"),
    "check": ("cli_query", "check_cmd"), "export": ("cli_query", "export_cmd"),
    "sql": ("cli_query", "sql_cmd"), "history": ("cli_query", "history_cmd"),
    "batch": ("cli_batch", "batch"), "schedule": ("cli_batch", "schedule"),
    "scheduler": ("cli_batch", "scheduler"),
    "idea": ("cli_ideas", "idea"), "tasks": ("cli_ideas", "tasks_cmd"),
    "review": ("cli_ideas", "review_cmd"),
    "ask": ("cli_ai", "ask_cmd"), "ai": ("cli_ai", "ai"), "mcp": ("cli_ai", "mcp_cmd"),
    "search": ("cli_search", "search_cmd"), "index": ("cli_search", "index_cmd"),
    "events": ("cli_events", "events"), "serve": ("cli_events", "serve_cmd"),
}


class _Main(OneLineErrors):
    """The top-level group: the commands of :data:`COMMANDS` are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in COMMANDS:
            module, attr = COMMANDS[name]
            command = getattr(importlib.import_module(f".{module}", __package__), attr)
            self.add_command(command, name)
        return command


def _data_dir(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """The ``--data-dir`` given on the command line; None when it came from
    ``WORKBENCH_DATA_DIR`` or the default, so that the workbench reads the variable itself and
    an error about the directory names what the user set: the option or the variable."""
    if value is None:
        return None
    given = ctx.get_parameter_source(param.name) is not click.core.ParameterSource.ENVIRONMENT
    if value.exists() and not value.is_dir():
        raise click.UsageError(
            f"--data-dir {value} is a file, not a directory; give a directory" if given else
            f"WORKBENCH_DATA_DIR={str(value)!r} is a file, not a directory; point the variable "
            "at a directory or unset it", ctx)
    return value if given else None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              envvar="WORKBENCH_DATA_DIR", show_envvar=True, callback=_data_dir,
              help="Where the database, clones and runs live [default: data/ of the workbench "
                   "checkout when run inside it, else ./data].")
@click.version_option(package_name="workbench")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """Turn git repositories into system maps you can explore, query and report on."""
    faces.current = "cli"  # hints name flags and commands, not Python arguments
    ctx.obj = data_dir  # None: WORKBENCH_DATA_DIR or the default, read by the workbench


@main.group(cls=Group)
def project() -> None:
    """Register, list, show and remove projects."""


_TOKEN_ENV_HELP = ("NAME of the environment variable holding a token for a private https "
                   "repository; only the name is stored, the token is read when git fetches.")
_USERNAME_HELP = "User name sent with the token [x-access-token, which GitHub and GitLab accept]."


def _note_unset(token_env: str | None) -> None:
    if token_env and not os.environ.get(token_env):
        click.echo(f"note: ${token_env} is not set here; set it wherever the project is mapped",
                   err=True)


@project.command("add")
@click.argument("name")
@click.argument("source")
@click.option("--token-env", metavar="VAR", help=_TOKEN_ENV_HELP)
@click.option("--username", help=_USERNAME_HELP)
@click.pass_context
@handle_errors
def project_add(ctx, name: str, source: str, token_env: str | None, username: str | None) -> None:
    """Register SOURCE (https/ssh URL or local path) as project NAME."""
    p = open_workbench(ctx).add_project(name, source, token_env=token_env, username=username)
    token = f"; token from ${p.token_env}" if p.token_env else ""
    click.echo(f"added project {p.name} ({p.source_kind}: {p.source}{token})")
    _note_unset(p.token_env)


@project.command("credentials")
@click.argument("name")
@click.option("--token-env", metavar="VAR", help=_TOKEN_ENV_HELP)
@click.option("--username", help=_USERNAME_HELP)
@click.option("--clear", is_flag=True, help="Forget the variable: fetch without credentials.")
@click.pass_context
@handle_errors
def project_credentials(ctx, name: str, token_env: str | None, username: str | None,
                        clear: bool) -> None:
    """Name the environment variable holding project NAME's token (or --clear it)."""
    if clear == (token_env is not None):
        raise click.UsageError("give either --token-env VAR or --clear")
    if clear and username is not None:
        raise click.UsageError("--username goes with --token-env, not --clear")
    p = open_workbench(ctx).set_credentials(name, token_env, username)
    if p.token_env:
        click.echo(f"project {p.name}: token from ${p.token_env} (user name {p.username})")
        _note_unset(p.token_env)
    else:
        click.echo(f"project {p.name}: no credentials")


@project.command("list")
@click.pass_context
@handle_errors
def project_list(ctx) -> None:
    """List registered projects with their status and last snapshot."""
    wb = open_workbench(ctx)
    projects = wb.projects()
    if not projects:
        click.echo("no projects yet; add one with `workbench map URL_OR_PATH`")
        return
    rows = []
    for p in projects:
        snap = f"#{p.last_snapshot_id}" if p.last_snapshot_id is not None else "-"
        current = wb.store.snapshots.current_id(p.id)
        if current is not None and current[1] == "pinned":
            snap = f"#{current[0]} (pinned)"
        rows.append([p.name, p.status, (p.last_commit or "-")[:12], _when(p.last_mapped_at), snap,
                     p.source])
    echo_table(["NAME", "STATUS", "COMMIT", "MAPPED AT", "SNAPSHOT", "SOURCE"], rows,
               keep=(0, 1, 2, 3, 4))  # the source is cut
    click.echo("(each project's current snapshot: the newest map of its default branch head, "
               "unless pinned with `workbench project pin`)")


@project.command("show")
@click.argument("name")
@click.pass_context
@handle_errors
def project_show(ctx, name: str) -> None:
    """Show one project and its snapshots."""
    handle = open_workbench(ctx).project(name)
    p = handle.info
    token = f"${p.token_env} (user name {p.username})" if p.token_env else "-"
    click.echo(f"name:           {p.name}\nsource:         {p.source} ({p.source_kind})\n"
               f"origin:         {p.origin}\ncredentials:    {token}\n"
               f"default branch: {p.default_branch or '-'}\nstatus:         {p.status}\n"
               f"clone:          {p.clone_path}")
    snaps = handle.snapshots()
    if snaps:
        click.echo(f"current:        {handle.snapshot().describe()}")
    click.echo(f"snapshots:      {len(snaps)}")
    echo_table(None, [[f"#{s.id}", s.commit_sha[:12], _when(s.mapped_at), f"ref={s.ref or '-'}",
                       f"modules={s.stats.get('modules', 0)}",
                       f"imports={s.stats.get('import_edges', 0)}"] for s in snaps[-10:]],
               keep=(0, 1, 2, 4, 5), indent="  ")  # the refs are cut


@project.command("pin")
@click.argument("name")
@click.argument("snapshot", required=False)
@click.option("--unpin", is_flag=True, help="Back to the newest map of the default branch head.")
@click.pass_context
@handle_errors
def project_pin(ctx, name: str, snapshot: str | None, unpin: bool) -> None:
    """Make SNAPSHOT (an id or a mapped ref) project NAME's current snapshot, or --unpin."""
    if unpin == (snapshot is not None):
        raise click.UsageError("give a SNAPSHOT (id or mapped ref) or --unpin")
    wb = open_workbench(ctx)
    wb.pin(name, None if unpin else snapshot)
    click.echo(f"project {name}: current snapshot {wb.snapshot(name).describe()}")


@project.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@handle_errors
def project_remove(ctx, name: str, yes: bool) -> None:
    """Remove project NAME: its rows and its clone (other projects are untouched)."""
    wb = open_workbench(ctx)
    wb.project(name)  # fail before asking when it does not exist
    if not yes and not click.confirm(f"remove project {name} and all its snapshots?", err=True):
        _fail("not removed", 1)
    wb.remove_project(name)
    click.echo(f"removed project {name}")


def _exclude_patterns(ctx, param, value: tuple[str, ...]) -> tuple[str, ...]:
    """Refuse a pattern gitignore does not understand as the option's bad value (exit 2)."""
    if value:
        from .errors import ConfigError
        from .mapping.excludes import normalise

        try:
            normalise(value)
        except ConfigError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def _executor_spec(ctx, param, value: str | None) -> str | None:
    """A ``--executor`` that names no executor is a usage error, found before any work."""
    if value is not None:
        from .jobs.executors import ExecutorUnavailable, executor_kind

        try:
            executor_kind(value)
        except ExecutorUnavailable as exc:
            raise click.BadParameter(str(exc)) from None
    return value


@main.command("map")
@click.argument("target", required=False)
@click.option("--name", help="Project name when TARGET is new [derived from TARGET].")
@click.option("--ref", help="Branch, tag or commit to map, with ~N or ^N after it for an "
              "ancestor (HEAD~3, main^2) [the default branch head].")
@click.option("--force", is_flag=True, help="Rebuild the map even when the commit has one (a "
              "whole map, never derived from the last one; its history analysed whole too).")
@click.option("--exclude", "exclude", multiple=True, metavar="PATTERN",
              callback=_exclude_patterns,
              help="gitignore-style pattern of files to leave out (repeatable); replaces the "
                   "default: vendored and minified code (vendor/, node_modules/, *.min.js, ...).")
@click.option("--no-exclude", is_flag=True, help="Map every file, vendored code included.")
@click.option("--deepen", type=click.IntRange(min=1), metavar="N",
              help="A shallow clone (--depth source): fetch N more commits of history first.")
@click.option("--unshallow", is_flag=True,
              help="A shallow clone (--depth source): fetch all of its history first.")
@click.option("--all", "all_projects", is_flag=True,
              help="Map every registered project at once (a portfolio); print a summary table.")
@click.option("--from", "from_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Map the projects listed in FILE (a name, URL or path a line) at once.")
@click.option("--executor", metavar="SPEC", callback=_executor_spec,
              help="Where the maps run: local, tcp://HOST:8786 (a Dask scheduler) or "
                   "local-cluster[:N] [WORKBENCH_EXECUTOR, else local].")
@click.option("--retries", type=click.IntRange(0, 10), default=1, show_default=True,
              help="With --all/--from: further attempts of a repository that failed.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
@handle_errors
def map_cmd(ctx, target: str | None, name: str | None, ref: str | None, force: bool,
            exclude: tuple[str, ...], no_exclude: bool, deepen: int | None, unshallow: bool,
            all_projects: bool, from_file: Path | None, executor: str | None, retries: int,
            quiet: bool) -> None:
    """Map TARGET (project name, URL or path), registering it when new; print the summary.

    With --all or --from FILE, map many repositories at once (on a Dask cluster with
    --executor) and print one summary row per repository; exit 1 when any failed."""
    if exclude and no_exclude:
        _fail("give --exclude patterns or --no-exclude, not both", 2)
    if deepen and unshallow:
        _fail("give --deepen N or --unshallow, not both", 2)
    if all_projects or from_file is not None:
        if target is not None or name is not None or (all_projects and from_file is not None):
            _fail("give TARGET, --all or --from FILE, one of them", 2)
        if deepen or unshallow:
            _fail("--deepen and --unshallow map one project; give TARGET with them", 2)
        _map_portfolio(ctx, from_file, ref, force, executor, retries, quiet)
        return
    if target is None:
        _fail("give TARGET (a project name, URL or path), --all or --from FILE", 2)
    patterns = () if no_exclude else (exclude or None)
    bar = ProgressBar(enabled=not quiet and sys.stderr.isatty())
    try:
        snap = open_workbench(ctx, executor=executor).map(
            target, name=name, ref=ref, progress=bar, force=force, exclude=patterns,
            deepen=deepen, unshallow=unshallow)
    finally:
        bar.close()
    from .store.database import WAL_FOLD_BYTES

    # the snapshot's log is folded now, not at exit, so that a full disk is said here
    health = open_workbench(ctx).store.health
    health.checkpoint(min_wal_bytes=WAL_FOLD_BYTES)
    problem = health.problem
    if problem:  # the snapshot committed; the checkpoint after it did not
        click.echo(f"snapshot #{snap.id} of {snap.info.project} "
                   f"saved (commit {snap.commit[:12]})")
        _fail(problem, 1)
    click.echo(snap.summary().to_text())
    where = open_workbench(ctx).store.path
    if snap.reused:  # its stats describe the map made then, not this call
        click.echo(f"snapshot #{snap.id} of this commit was mapped already "
                   f"({snap.info.mapped_at:%Y-%m-%d %H:%M:%S}); reused it from {where}, nothing "
                   "parsed (--force maps it again)")
    else:
        parsed = snap.stats.get("parsed_now", 0)
        # a whole map of files parsed before (--force) takes every file's facts from the cache
        kept = (": the parse cache had every file's facts"
                if not parsed and "derived_from" not in snap.stats
                and snap.stats.get("source_files") else "")
        click.echo(f"snapshot #{snap.id} stored in {where} ({snap.stats.get('seconds', 0):.2f} s, "
                   f"parsed {parsed} file{'' if parsed == 1 else 's'}{kept})")
    pending = snap.stats.get("blame_pending")
    if pending:
        click.echo(f"{pending:,} file{' is' if pending == 1 else 's are'} not blamed yet (their "
                   f"current-owner columns are empty); `workbench blame {snap.info.project}` "
                   f"blames {'it' if pending == 1 else 'them'}")


@main.command("blame")
@click.argument("name")
@click.option("--ref", help="The snapshot of this ref's commit [the current snapshot].")
@click.option("--budget", type=click.FloatRange(min=0), metavar="SECONDS",
              help="Stop starting new files after SECONDS; what is blamed by then is kept "
                   "[no limit].")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
@handle_errors
def blame_cmd(ctx, name: str, ref: str | None, budget: float | None, quiet: bool) -> None:
    """Blame the files of project NAME's snapshot that no map blamed yet (ownership of
    current lines); a first map blames within WORKBENCH_BLAME_BUDGET seconds, later maps only
    the files they changed."""
    bar = ProgressBar(enabled=not quiet and sys.stderr.isatty(), unit="file")
    try:
        done = open_workbench(ctx).blame(name, ref, budget=budget or None, progress=bar)
    finally:
        bar.close()
    left = (f"; {done['pending']:,} still pending (run it again to go on)"
            if done["pending"] else "; every file is blamed")
    click.echo(f"snapshot #{done['snapshot_id']}: blamed {done['blamed_now']:,} more of "
               f"{done['files']:,} files{left}")


def _map_portfolio(ctx, from_file: Path | None, ref: str | None, force: bool,
                   executor: str | None, retries: int, quiet: bool) -> None:
    from .portfolio.service import read_project_list

    targets = read_project_list(from_file) if from_file is not None else None
    wb = open_workbench(ctx, executor=executor)
    bar = ProgressBar(enabled=not quiet and sys.stderr.isatty(), unit="repo")
    try:
        run = wb.map_all(targets, ref=ref, force=force, retries=retries, progress=bar)
    finally:
        bar.close()
    click.echo(run.to_text())
    if run.failed:
        _fail(f"{len(run.failed)} of {len(run.summary)} repositories failed: "
              f"{', '.join(run.failed[:10])}; see the error column above, then "
              "`workbench job retry JOB_ID` runs one again", 1)


@main.command()
@click.pass_context
@handle_errors
def status(ctx) -> None:
    """Show the database's health, disk space, clones, snapshots and jobs."""
    st = open_workbench(ctx).status()
    checkpoint = st["last_checkpoint"]
    when = f"{checkpoint:%Y-%m-%d %H:%M:%S}" if checkpoint else "never"
    click.echo(f"data dir:   {st['data_dir']} ({st['disk_free_bytes'] / 1e9:.1f} GB free)\n"
               f"database:   {st['database']} ({st['database_bytes'] / 1e6:.1f} MB, "
               f"schema v{st['schema_version']}, WAL {st['wal_bytes'] / 1e6:.1f} MB)\n"
               f"checkpoint: {when}")
    for notice in st["notices"]:
        click.echo(f"NOTICE {notice['at']:%Y-%m-%d %H:%M:%S} {notice['kind']}: {notice['message']}")
    click.echo(f"projects:  {len(st['projects'])}")
    rows = []
    for p in st["projects"]:
        clone = st["clone_bytes"].get(p.name)
        size = f"clone {clone / 1e6:.1f} MB" if clone is not None else "no clone"
        snap = f"#{p.last_snapshot_id}" if p.last_snapshot_id is not None else "-"
        rows.append([p.name, p.status, (p.last_commit or "-")[:12], _when(p.last_mapped_at), snap,
                     size])
    for p, line in zip(st["projects"], table_lines(None, rows, keep=range(5), indent="  ")):
        click.echo(line)
        truncated = st.get("history_truncated", {}).get(p.name)
        if truncated:
            click.echo(f"    {truncation_note(truncated)}: `workbench map {p.name} --deepen N` "
                       "or `--unshallow` fetches more")

    names = {p.id: p.name for p in st["projects"]}

    def show(title: str, jobs) -> None:
        click.echo(f"{title}:" if jobs else f"{title}: none")
        echo_table(None, [
            [f"#{j.id}", j.type, j.status,
             names.get(j.project_id, "-") if j.project_id is not None else "-",
             _when(j.created_at), f"attempts={j.attempts}/{j.max_attempts}",
             j.error.splitlines()[0] if j.error else (j.message or "")] for j in jobs],
            keep=range(6), indent="  ")  # the detail is cut

    show("active jobs", st["active_jobs"])
    show("recent jobs", st["jobs"])
    show("dead jobs", st["dead_jobs"])
    click.echo("interrupted batch runs:" + ("" if st["interrupted_runs"] else " none"))
    echo_table(None, [
        [f"#{r.id}", Path(r.notebook).name, _when(r.started_at or r.created_at),
         ", ".join(str(p) for p in (r.output_ipynb, r.output_html) if p) or "no output"]
        for r in st["interrupted_runs"]], keep=(0, 2), indent="  ")
    if any(j.status == "interrupted" for j in st["jobs"]):
        click.echo("interrupted jobs continue with `workbench job resume`")
    if st["dead_jobs"]:
        click.echo("run a dead job again with `workbench job retry ID`")


@main.group(cls=Group)
def job() -> None:
    """Cancel, retry and resume background jobs."""


@job.command("cancel")
@click.argument("job_id", type=click.IntRange(min=1))
@click.pass_context
@handle_errors
def job_cancel(ctx, job_id: int) -> None:
    """Ask job JOB_ID (in any process) to stop at its next checkpoint."""
    wb = open_workbench(ctx)
    before = wb.job(job_id).status
    if before in FINISHED_STATUSES or before == "interrupted":
        _fail(f"job #{job_id} already {before}; nothing to cancel", 1)
    info = wb.cancel(job_id)
    if before == "queued":
        click.echo(f"job #{info.id} {info.status}: cancel requested before it started")
    else:
        click.echo(f"job #{info.id} {info.status}; cancel requested: it stops at its next "
                   "checkpoint")


@job.command("retry")
@click.argument("job_id", type=click.IntRange(min=1))
@click.pass_context
@handle_errors
def job_retry(ctx, job_id: int) -> None:
    """Run a failed, dead, cancelled or interrupted job JOB_ID again and wait for it."""
    wb = open_workbench(ctx)
    wb.retry(job_id, wait=True)
    click.echo(f"job #{job_id} {wb.job(job_id).status}")


@job.command("resume")
@click.pass_context
@handle_errors
def job_resume(ctx) -> None:
    """Run every interrupted map again, continuing from its stored progress."""
    wb = open_workbench(ctx)
    handles = wb.resume_interrupted(wait=True)
    for h in handles:
        click.echo(f"job #{h.id} {wb.job(h.id).status}")
    if not handles:
        click.echo("no interrupted jobs")


@main.command()
@click.argument("project_name", metavar="PROJECT", required=False)
@click.option("--ref", help="Report on the snapshot of this branch, tag or commit.")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write the executed notebook and HTML [data/runs/PROJECT].")
@click.option("--all", "all_projects", is_flag=True,
              help="Report on every project at once, in parallel on the executor.")
@click.option("--executor", metavar="SPEC", callback=_executor_spec,
              help="With --all: local, tcp://HOST:8786 or local-cluster[:N] "
                   "[WORKBENCH_EXECUTOR, else local].")
@click.pass_context
@handle_errors
def report(ctx, project_name: str | None, ref: str | None, output_dir: Path | None,
           all_projects: bool, executor: str | None) -> None:
    """Run the system map report notebook for PROJECT headless (papermill + HTML); with
    --all, for every project in parallel, printing one row per project."""
    if all_projects:
        if project_name or ref or output_dir:
            _fail("--all reports on every project's current snapshot into data/runs/; give no "
                  "PROJECT, --ref or --output-dir with it", 2)
        frame = open_workbench(ctx, executor=executor).report_all()
        from .text_tables import table_text

        click.echo(table_text(frame))
        failed = frame.loc[frame["status"] != "succeeded", "project"].tolist()
        if failed:
            _fail(f"{len(failed)} of {len(frame)} reports failed: {', '.join(failed[:10])}", 1)
        return
    if project_name is None:
        _fail("give PROJECT, or --all", 2)
    result = open_workbench(ctx).report(project_name, ref=ref, output_dir=output_dir)
    click.echo(f"report notebook: {result.notebook}")
    click.echo(f"report html:     {result.html}")


if __name__ == "__main__":  # pragma: no cover
    main()
