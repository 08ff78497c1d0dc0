"""CLI verbs for exploring maps: named queries, diff, contracts, exports, SQL and trends.

Each command opens the facade, calls one method and prints a table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .cli_common import Group, echo_table, handle_errors, open_workbench
from .domain import DEPENDENCY_KINDS, EXPORT_FORMATS, IMPORT_CONTEXTS, EdgeKind

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


#: Columns that name a row: a table fitted to the terminal never cuts them.
ID_COLUMNS = ("id", "node", "a", "b", "src", "dst", "project", "snapshot", "commit", "contract")


def _show(frame: "pd.DataFrame | None", empty: str = "(nothing)") -> None:
    """Print ``frame`` as a table fitted to the terminal (:mod:`~workbench.text_tables`), a
    missing value as an empty cell; ``empty`` when it has no rows. The first column and those
    of :data:`ID_COLUMNS` are never cut."""
    from .text_tables import table_text

    if frame is None or frame.empty:
        _say(empty)
        return
    keep = tuple(str(c) for c in frame.columns[:1]) + ID_COLUMNS
    _say(table_text(frame, keep=keep))


def _kinds(value: str | None) -> list[str] | None:
    """Edge kinds from ``--kinds a,b``; unknown or no kinds are refused (they would answer
    "nothing" instead of saying the question was wrong)."""
    if value is None:
        return None
    kinds = [k.strip() for k in value.split(",") if k.strip()]
    known = [k.value for k in EdgeKind]
    unknown = [k for k in kinds if k not in known]
    if unknown or not kinds:
        raise click.BadParameter(f"unknown edge kind(s) {', '.join(unknown) or '(none given)'}; "
                                 f"use some of: {', '.join(known)}", param_hint="--kinds")
    return kinds


_HEADER = "workbench.snapshot_header"


def _snapshot(ctx, project_name: str, ref: str | None):
    """The snapshot a query reads (current, or ``--ref``'s), announced on the first line of
    the answer: printed with the answer's first line, so that a query that fails (an unknown
    node, a path that cannot be written) prints its error alone, and a script reading the
    standard output gets nothing."""
    snap = open_workbench(ctx).snapshot(project_name, ref)
    ctx.meta[_HEADER] = f"snapshot {snap.describe()}"
    return snap


def _announce() -> None:
    """Print the snapshot's line when it is still to be printed (before the answer's first)."""
    ctx = click.get_current_context(silent=True)
    header = ctx.meta.pop(_HEADER, None) if ctx is not None else None
    if header is not None:
        click.echo(header)


def _say(text: str) -> None:
    """Print ``text``, after the snapshot's line when it is still to be printed."""
    _announce()
    click.echo(text)


def import_context_options(command):
    """``--exclude CONTEXT`` (repeatable) and ``--runtime``: import edges to leave out by where
    their statements stand; the command receives ``exclude_contexts`` (a tuple of names)."""
    command = click.option(
        "--runtime", is_flag=True,
        help="Only imports that run: leave out those under `if TYPE_CHECKING:` "
             "(same as --exclude type_checking).")(command)
    command = click.option(
        "--exclude", "exclude", multiple=True, type=click.Choice(IMPORT_CONTEXTS),
        help="Leave out imports that stand only here (repeatable): type_checking, deferred "
             "(inside functions), conditional (under if/try at module level), import_time.")(command)
    return command


def _contexts(exclude: tuple[str, ...], runtime: bool) -> tuple[str, ...]:
    chosen = [*exclude, *(["type_checking"] if runtime else [])]
    return tuple(dict.fromkeys(chosen))


project_option = click.option("--project", "-p", "project_name", required=True,
                              help="Project whose current snapshot (the pinned one, else the default branch's newest; or --ref's) is queried.")
ref_option = click.option("--ref", help="Query the snapshot of this mapped branch, tag or commit.")


@click.group(cls=Group)
def query() -> None:
    """Named queries on a project's map (related, impact, path, cycles, ...)."""


@query.command("related")
@click.argument("node")
@project_option
@ref_option
@click.option("--depth", type=click.IntRange(min=1), default=1, show_default=True,
              help="Hops to follow.")
@click.option("--kinds", help="Edge kinds, comma separated (imports,calls,...) [all].")
@click.option("--direction", type=click.Choice(["both", "out", "in"]), default="both", show_default=True,
              help="Follow edges out of NODE, into it, or both.")
@click.pass_context
@handle_errors
def q_related(ctx, node, project_name, ref, depth, kinds, direction):
    """Nodes within DEPTH hops of NODE, with distance and the edge that reached them."""
    snap = _snapshot(ctx, project_name, ref)
    _show(snap.related(node, depth=depth, kinds=_kinds(kinds), direction=direction))


@query.command("impact")
@click.argument("node")
@project_option
@ref_option
@click.option("--kinds", default=",".join(DEPENDENCY_KINDS), show_default=True,
              help="Edge kinds to follow.")
@import_context_options
@click.pass_context
@handle_errors
def q_impact(ctx, node, project_name, ref, kinds, exclude, runtime):
    """Everything that depends on NODE, transitively, with distance and one path."""
    frame = _snapshot(ctx, project_name, ref).impact(
        node, kinds=_kinds(kinds), exclude_contexts=_contexts(exclude, runtime))
    if not frame.empty:
        frame = frame.assign(path=frame["path"].map(lambda p: " <- ".join(p)))
    _show(frame, "nothing depends on it")  # the path is cut, never the node


@query.command("path")
@click.argument("source")
@click.argument("target")
@project_option
@ref_option
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True,
              help="How many chains at most.")
@click.option("--kinds", default=EdgeKind.IMPORTS.value, show_default=True,
              help="Edge kinds to follow, comma separated: imports join modules, calls "
                   "functions and classes.")
@import_context_options
@click.pass_context
@handle_errors
def q_path(ctx, source, target, project_name, ref, limit, kinds, exclude, runtime):
    """Chains from SOURCE to TARGET, shortest first: module imports, or the edge kinds of
    --kinds (calls between functions)."""
    followed = _kinds(kinds)
    chains = _snapshot(ctx, project_name, ref).paths(
        source, target, kinds=followed, limit=limit, exclude_contexts=_contexts(exclude, runtime))
    if not chains:
        _say("no import path" if followed == [EdgeKind.IMPORTS.value]
             else f"no path over {','.join(followed)} edges")
    for chain in chains:
        _say(" -> ".join(chain))


@query.command("cycles")
@project_option
@ref_option
@import_context_options
@click.pass_context
@handle_errors
def q_cycles(ctx, project_name, ref, exclude, runtime):
    """Import cycles: how many modules import each other, and one shortest cycle (a -> b -> a)
    with the line of each of its imports."""
    frame = _snapshot(ctx, project_name, ref).cycles(exclude_contexts=_contexts(exclude, runtime))
    if frame.empty:
        _say("no import cycles")
        return
    # a cycle comes back to its start once: [a, b, a] reads a -> b -> a; never cut short
    _announce()
    echo_table(["modules", "cycle", "lines"],
               [[size, " -> ".join(cycle), ", ".join("?" if x is None else str(x) for x in at)]
                for size, cycle, at in zip(frame["size"], frame["cycle"], frame["lines"])],
               right=(0,), keep=(0, 1))
    if any(size != len(c) - 1 for size, c in zip(frame["size"], frame["cycle"])):
        _say("(modules: all that import each other, directly or not; "
             "cycle: one shortest cycle among them)")


@query.command("layers")
@project_option
@ref_option
@import_context_options
@click.pass_context
@handle_errors
def q_layers(ctx, project_name, ref, exclude, runtime):
    """Levels of the module import graph (0 = imports nothing internal)."""
    _show(_snapshot(ctx, project_name, ref).layers(exclude_contexts=_contexts(exclude, runtime)))


@query.command("central")
@project_option
@ref_option
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many rows.")
@click.pass_context
@handle_errors
def q_central(ctx, project_name, ref, top):
    """Modules by PageRank, with in/out degree and betweenness."""
    frame = _snapshot(ctx, project_name, ref).centrality()
    _show(frame.head(top))  # already by PageRank, ties by name


@query.command("hotspots")
@project_option
@ref_option
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many rows.")
@click.pass_context
@handle_errors
def q_hotspots(ctx, project_name, ref, top):
    """Files by hotspot score (change frequency x size), with churn and ownership."""
    _show(_snapshot(ctx, project_name, ref).hotspots(top), "no history")


@query.command("problems")
@project_option
@ref_option
@click.pass_context
@handle_errors
def q_problems(ctx, project_name, ref):
    """Files skipped or parsed with a problem (syntax error, binary, symlink ...), and why."""
    _show(_snapshot(ctx, project_name, ref).problems(), "no problems: every file was read whole")


@query.command("coupling")
@project_option
@ref_option
@click.option("--hidden", is_flag=True, help="Only pairs with no import path between them.")
@click.pass_context
@handle_errors
def q_coupling(ctx, project_name, ref, hidden):
    """Files that change together (co-change), optionally only the hidden pairs.

    A pair is listed when the two files changed together in at least 5 commits, their mean
    revisions are at least 5 and the degree of coupling at least 0.3; commits of more than 30
    files are left out."""
    snap = _snapshot(ctx, project_name, ref)
    _show(snap.hidden_coupling() if hidden else snap.co_changes(), "no coupled files")


@click.command("diff")
@click.argument("project_name", metavar="PROJECT")
@click.argument("old")
@click.argument("new", required=False)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=0),
              help="Rows shown per section (0 = all); each section says how many it has.")
@click.option("--derived", is_flag=True,
              help="Also list PageRank and community changes (many, small, derived).")
@click.pass_context
@handle_errors
def diff_cmd(ctx, project_name, old, new, limit, derived):
    """What changed between snapshots OLD and NEW (ids or mapped refs; NEW = newest)."""
    d = open_workbench(ctx).diff(project_name, old, new, derived=derived)
    _say(d.note)
    for part in ("nodes_added", "nodes_removed", "edges_added", "edges_removed", "cycles_new",
                 "cycles_broken", "moved", "metrics_changed"):
        frame = getattr(d, part)
        if part.startswith("cycles") and not frame.empty:  # a cycle reads a -> b -> a
            frame = frame.assign(members=frame["members"].map(", ".join),
                                 cycle=frame["cycle"].map(" -> ".join))
        cut = bool(limit) and len(frame) > limit
        more = f" (first {limit} shown; --limit 0 shows all)" if cut else ""
        _say(f"== {part.replace('_', ' ')}: {len(frame)}{more}")
        if not frame.empty:
            _show(frame.head(limit) if cut else frame)


@click.command("check")
@click.argument("project_name", metavar="PROJECT")
@click.option("--contracts", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Contracts file: workbench TOML, or import-linter's pyproject.toml, setup.cfg "
                   "or .importlinter [the repository's own].")
@ref_option
@click.option("--history", is_flag=True,
              help="Check every mapped commit; say when each violation appeared, and the trend.")
@click.option("--contract", "only", multiple=True, metavar="ID",
              help="Check only the contract with this id or name (repeatable).")
@click.pass_context
@handle_errors
def check_cmd(ctx, project_name, contracts, ref, history, only):
    """Check architecture contracts, each kept or broken; exit 3 when one is broken."""
    import pandas as pd

    frame = open_workbench(ctx).check(project_name, contracts, ref=ref, history=history, only=only)
    verdicts = pd.DataFrame(frame.attrs.get("contracts", []))
    for v in verdicts.to_dict("records"):
        count = f" ({v['violations']})" if v["violations"] else ""
        _say(f"{v['status'].upper():7} {v['contract']} [{v['kind']}]{count}")
        for warning in v["warnings"]:
            _say(f"        warning: {warning}")
        for line in (v.get("guidance") or "").strip().splitlines():
            _say(f"        {line}")
    broken = int((verdicts["status"] == "broken").sum()) if not verdicts.empty else 0
    _say(f"contracts: {len(verdicts) - broken} kept, {broken} broken")
    if history and frame.attrs.get("trend"):
        trend = pd.DataFrame(frame.attrs["trend"])
        _say("== trend (violations per mapped commit, oldest first)")
        _show(trend.pivot_table(index=["snapshot", "commit"], columns="contract", values="violations",
                                aggfunc="sum", sort=False).reset_index())
    if frame.empty:
        _say("no violations")
        return
    frame = frame.assign(chain=frame["chain"].map(lambda c: " -> ".join(c)))
    _show(frame.drop(columns=["reason"]))
    ctx.exit(3)


@click.command("export")
@click.argument("project_name", metavar="PROJECT")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS),
              help="Output format [from PATH's suffix].")
@click.option("--depth", type=click.IntRange(min=1), default=2, show_default=True,
              help="Package depth of the DOT view.")
@ref_option
@click.pass_context
@handle_errors
def export_cmd(ctx, project_name, path, fmt, depth, ref):
    """Write a project's map as GraphML, GEXF, node-link JSON, DOT (collapsed) or Parquet."""
    out = _snapshot(ctx, project_name, ref).export(path, fmt, depth=depth)
    _say(f"wrote {out}")


@click.command("sql")
@click.argument("statement")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Rows to show at most.")
@click.pass_context
@handle_errors
def sql_cmd(ctx, statement, limit):
    """Run a read-only SQL STATEMENT on the database (no file or network access)."""
    _show(open_workbench(ctx).sql(statement, limit=limit), "(no rows)")


@click.command("history")
@click.argument("project_name", metavar="PROJECT")
@click.option("--every", type=click.IntRange(min=1), metavar="N",
              help="Map every Nth commit of the first-parent history.")
@click.option("--tags", is_flag=True, help="Map every tag.")
@click.option("--ref", "refs", multiple=True, help="Map this ref (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True,
              help="At most this many commits (newest).")
@click.option("--contracts", "with_contracts", is_flag=True,
              help="Add the violations of the repository's contracts per commit.")
@click.pass_context
@handle_errors
def history_cmd(ctx, project_name, every, tags, refs, limit, with_contracts):
    """Map PROJECT at several commits and print the trend of its metrics."""
    if not (every or tags or refs):
        raise click.UsageError("say which commits to map: --every N, --tags or --ref REF")
    wb = open_workbench(ctx)
    snaps = wb.map_history(project_name, refs=list(refs) or None, every=every, tags=tags, limit=limit)
    _show(wb.trend(project_name, snaps, contracts=True if with_contracts else None))
