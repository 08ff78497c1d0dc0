"""``workbench search`` and ``workbench index``: code search from the shell.

One line per hit, location first so editors and terminals can jump to it::

    src/shop/models.py:14  0.0424  class  shop.models:PaidOrder  class PaidOrder(Order): | ...
    commit 1a2b3c4d5e6f    0.0328  commits  add retries to checkout | files: | ...
"""

from __future__ import annotations

import sys

import click

from .cli_common import ProgressBar, handle_errors, open_workbench

_KINDS = ("code", "docs", "config", "commits")
_MODES = ("hybrid", "text", "vector")


def _location(row) -> str:
    import pandas as pd

    if row.kind == "commits":
        return f"commit {str(row.commit)[:12]}"
    return f"{row.path}:{int(row.line_start) if pd.notna(row.line_start) else 1}"


def _ensure_index(wb, project: str, snapshot_id: int | None, quiet: bool) -> None:
    """Build the snapshot's index first when it has none, with a progress bar on a terminal."""
    if wb.index_state(project, snapshot_id=snapshot_id) is not None:
        return
    bar = ProgressBar(enabled=not quiet and sys.stderr.isatty())
    try:
        result = wb.index(project, snapshot_id=snapshot_id, wait=True, progress=bar)
    finally:
        bar.close()
    if not quiet:
        click.echo(f"indexed {result['chunks']} chunks of {project} in {result['seconds']:.1f} s",
                   err=True)


#: How the command line spells each argument a search may refuse (``InvalidSearch.argument``).
_OPTION_NAMES = {"query": "'QUERY'", "kinds": "'--kind'", "k": "'--k'", "mode": "'--mode'",
                 "language": "'--lang'", "node_kind": "'--node-kind'", "path": "'--path'"}


def _check(query: str, kinds: tuple[str, ...], k: int, mode: str, language: str | None,
           node_kind: str | None, path: str | None = None) -> None:
    """Refuse a bad query or filter before any work (indexing): a usage error naming the
    option, as click reports a bad ``--kind``, with the service's message (the allowed values)."""
    from .search.errors import InvalidSearch
    from .search.service import check_filters

    try:
        check_filters(query, k=k, kinds=list(kinds) or None, mode=mode, language=language,
                      node_kind=node_kind, path=path)
    except InvalidSearch as exc:
        raise click.BadParameter(str(exc), param_hint=_OPTION_NAMES.get(
            getattr(exc, "argument", None))) from None


@click.command("search")
@click.argument("query")
@click.option("--project", "-p", required=True, help="Project to search.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(_KINDS),
              help="Only these kinds of hits (repeatable) [all].")
@click.option("--k", "k", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Number of hits.")
@click.option("--lang", "language", help="Only files of this language (python, typescript ..., "
              "any case, or a file extension: py, ts ...).")
@click.option("--path", "path", metavar="GLOB", help="Only files whose path matches GLOB, "
              "read as .gitignore reads it: without a slash it matches at any depth ('*.py', "
              "'conftest.py'); with one it is anchored at the repository root ('src/attr/*', "
              "'/setup.py'); '*' stays within a directory, '**' crosses any number "
              "('**/attr/*', 'src/**/*.py'); a directory matches the files below it "
              "('src/'). A glob no file matches is refused with one that does.")
@click.option("--node-kind", help="Only chunks of this node kind: function (methods too), class, "
              "module, package or file.")
@click.option("--mode", type=click.Choice(_MODES), default="hybrid", show_default=True,
              help="Full text (BM25), vectors, or both fused and re-ranked by the graph.")
@click.option("--tests", "include_tests", is_flag=True,
              help="Rank tests and vendored code like the rest (they sink by default).")
@click.option("--snapshot", "snapshot_id", type=click.IntRange(min=1), help="Search this snapshot [the current one: pinned, else the default branch's newest].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar while indexing.")
@click.pass_context
@handle_errors
def search_cmd(ctx, query: str, project: str, kinds: tuple[str, ...], k: int,
               language: str | None, path: str | None, node_kind: str | None, mode: str,
               include_tests: bool, snapshot_id: int | None, quiet: bool) -> None:
    """Search PROJECT's code, docs, config and commit messages for QUERY.

    Prints one hit per line: path:line (or commit SHA), score, node kind, node, preview.
    The first search of a snapshot builds its index.
    """
    _check(query, kinds, k, mode, language, node_kind, path)
    wb = open_workbench(ctx)
    wb.check_search_path(project, path, snapshot_id=snapshot_id)  # before any indexing
    _ensure_index(wb, project, snapshot_id, quiet)
    hits = wb.search(query, project, k=k, snapshot_id=snapshot_id, kinds=list(kinds) or None,
                     language=language, path=path, node_kind=node_kind,
                     include_tests=include_tests, mode=mode)
    if hits.empty:
        click.echo("no hits", err=True)
        return
    from .text_tables import clip

    for row in hits.itertuples(index=False):  # the preview is cut to the terminal's width
        what = row.node_kind if isinstance(row.node_kind, str) else row.kind
        name = row.node if isinstance(row.node, str) else ""
        click.echo(clip(f"{_location(row)}  {row.score:.4f}  {what}  {name}  {row.preview}"
                        .replace("    ", "  ")))


@click.command("index")
@click.argument("project")
@click.option("--snapshot", "snapshot_id", type=click.IntRange(min=1), help="Index this snapshot [the current one: pinned, else the default branch's newest].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
@handle_errors
def index_cmd(ctx, project: str, snapshot_id: int | None, quiet: bool) -> None:
    """Build PROJECT's search index (chunks, BM25 terms, vectors); only new blobs cost time."""
    wb = open_workbench(ctx)
    bar = ProgressBar(enabled=not quiet and sys.stderr.isatty())
    try:
        r = wb.index(project, snapshot_id=snapshot_id, wait=True, progress=bar)
    finally:
        bar.close()
    click.echo(f"snapshot #{r['snapshot_id']}: {r['chunks']} chunks ({r['chunked_now']} new, "
               f"{r['files_chunked']} files and {r['commits_chunked']} commits chunked now) "
               f"with {r['embedder']} in {r['seconds']:.2f} s")
