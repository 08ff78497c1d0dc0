"""The reviewer agent: a pull request read against the map.

:func:`review_maps` is pure given two snapshots: the architecture diff
(:func:`workbench.evolution.diff`), the nodes the change touches, new contract violations
(those in the head that the base did not have), the impact set and the tasks covered. The
changed nodes are the nodes added or removed, plus the nodes of the head whose line span
has a changed line of its own (``git diff --unified=0`` of the two commits, see
:func:`changed_lines`; hunks of blank lines, Python comments or docstrings alone change
nothing): a line of the definition outside the classes and functions defined in it, so that
a changed method does not make its whole class changed; without hunks, every node of a file
whose blob changed. The impact is what depends on the changed classes and functions, and on
a changed file itself (its importers, not the callers of everything in it) only when a hunk
lies outside its definitions.

A task is *covered* when a changed node is one it touches or lies inside one it touches
(a method of a touched class, say); a whole changed file covers only tasks that touch that file.

Verdict: ``blocked`` for a new contract violation or a new import cycle; ``attention`` when a
removed node still had dependents, or the impact reaches more than ``wide_impact`` files;
``ok`` otherwise.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterable

import pandas as pd

from ..domain import FILE_KINDS, NodeKind, ReviewFindings, Task
from ..evolution import diff as map_diff
from ..graph import contracts as _contracts
from ..repos.git import Git
from ..snapshot import Snapshot
from .areas import impact_rows

#: Node kinds a change is reported on.
CHANGE_KINDS = frozenset({NodeKind.PACKAGE.value, NodeKind.MODULE.value, NodeKind.FILE.value,
                          NodeKind.CLASS.value, NodeKind.FUNCTION.value})
#: Files in the impact set past which a review asks for attention.
WIDE_IMPACT = 10

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def changed_lines(diff_text: str, inert: dict[str, tuple[set[int], set[int]]] | None = None
                  ) -> dict[str, list[tuple[int, int]]]:
    """New-side line ranges per path from ``git diff --unified=0`` output (a deletion marks
    the line it happened at). A hunk that only adds or removes blank lines, or comment lines
    of a Python file (``#`` first), changes no behaviour and is left out; so is one whose
    lines all lie in ``inert[path]``, ``(old side's lines, new side's lines)`` (the lines of
    docstrings: :func:`docstring_lines`)."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    path: str | None = None
    hunk: tuple[int, int] | None = None
    old_left = new_left = old_at = new_at = 0
    quiet = True
    old_inert: set[int] = set()
    new_inert: set[int] = set()

    def close() -> None:
        if path and hunk is not None and not quiet:
            ranges.setdefault(path, []).append(hunk)

    for line in diff_text.splitlines():
        if old_left > 0 or new_left > 0:  # a line of the open hunk, counted by its header
            if line.startswith("-"):
                old_left -= 1
                number, lines = old_at, old_inert
                old_at += 1
            elif line.startswith("+"):
                new_left -= 1
                number, lines = new_at, new_inert
                new_at += 1
            elif line.startswith(" "):
                old_left, new_left = old_left - 1, new_left - 1
                number, lines = new_at, new_inert
                old_at, new_at = old_at + 1, new_at + 1
            else:
                continue  # "\ No newline at end of file"
            quiet = quiet and (number in lines or _inert(line[1:], path))
            continue
        if line.startswith("+++ "):
            close()
            hunk = None
            target = line[4:].strip()
            path = target[2:] if target.startswith("b/") else None
            old_inert, new_inert = (inert or {}).get(path or "", (set(), set()))
        elif path and (m := _HUNK.match(line)):
            close()
            start, count = int(m.group(3)), int(m.group(4) or 1)
            hunk = (max(start, 1), max(start, start + count - 1))
            old_left, new_left, quiet = int(m.group(2) or 1), count, True
            old_at, new_at = int(m.group(1)), start
    close()
    return ranges


def docstring_lines(source: bytes) -> set[int]:
    """The lines of the docstrings of a Python module and of its classes and functions (none
    when it does not parse): an edit of them alone changes what ``help`` says, not what the
    code does."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                lines.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    return lines


def _inert(text: str, path: str | None) -> bool:
    """A changed line that changes no behaviour: blank, or a comment of a Python file (by the
    text rule of the map's line counts: a ``#`` line inside a string counts too)."""
    stripped = text.strip()
    return not stripped or (stripped[0] == "#" and (path or "").endswith((".py", ".pyi")))


def compare_commits(repo: Path, base_tip: str, head: str, *, timeout: float = 600.0
                    ) -> tuple[str, dict[str, list[tuple[int, int]]]]:
    """``(merge base, changed lines)`` of ``head`` against ``base_tip`` in a clone: what the
    change is measured from (the merge base, so that later commits on the base do not count)
    and its hunks (:func:`changed_lines`)."""
    git = Git(timeout=timeout)
    merge_base = git.run(["merge-base", base_tip, head], cwd=repo,
                         what="finding the merge base").strip() or base_tip
    diff_text = git.run(["diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv",
                         "--no-renames", merge_base, head], cwd=repo, what="diffing the change")
    return merge_base, changed_lines(diff_text, _docstrings(git, repo, merge_base, head,
                                                            diff_text))


def _docstrings(git: Git, repo: Path, old: str, new: str, diff_text: str
                ) -> dict[str, tuple[set[int], set[int]]]:
    """:func:`docstring_lines` of both sides of every Python file the diff changes, read
    through one ``git cat-file`` process."""
    sides: dict[str, list[str | None]] = {}
    for line in diff_text.splitlines():
        if line.startswith("--- a/") or line.startswith("+++ b/"):
            path = line[6:].rstrip("\t")
            if path.endswith((".py", ".pyi")):
                sides.setdefault(path, [None, None])[0 if line[0] == "-" else 1] = (
                    f"{old if line[0] == '-' else new}:{path}")
    specs = [spec for pair in sides.values() for spec in pair if spec]
    # cat-file answers in the order asked, naming each blob by its sha
    found = {spec: data for spec, (_, data) in zip(specs, git.read_blobs(repo, specs))}
    return {path: (docstring_lines(found[o]) if o in found else set(),
                   docstring_lines(found[n]) if n in found else set())
            for path, (o, n) in sides.items()}


def _file_of(node: str) -> str:
    return node.split(":", 1)[0]


def changed_nodes(base: Snapshot, head: Snapshot, *, added: Iterable[str] = (),
                  removed: Iterable[str] = (),
                  lines: dict[str, list[tuple[int, int]]] | None = None) -> list[str]:
    """Nodes the change touches (see the module docstring), sorted."""
    old_files = dict(zip(base.files["path"], base.files["blob_sha"]))
    new = head.files
    changed_paths = {p for p, sha in zip(new["path"], new["blob_sha"]) if old_files.get(p) != sha}
    nodes = head.nodes
    nodes = nodes[nodes["kind"].isin(CHANGE_KINDS) & nodes["path"].isin(changed_paths)]
    found = set(added) | set(removed)
    spans: dict[str, list[tuple[str, int, int]]] = {}  # path -> its definitions' spans
    for node, kind, path, start, end in zip(nodes["id"], nodes["kind"], nodes["path"],
                                            nodes["line_start"], nodes["line_end"]):
        if kind in FILE_KINDS or lines is None:
            found.add(node)
        elif not pd.isna(start):
            spans.setdefault(path, []).append(
                (node, int(start), int(end) if not pd.isna(end) else int(start)))
    for path, defs in spans.items():
        hunks = lines.get(path, ()) if lines is not None else ()
        for node, start, end in defs:
            touching = [(a, b) for a, b in hunks if a <= end and start <= b]
            if not touching:
                continue
            inner = sorted((s, e) for other, s, e in defs if other.startswith(node + "."))
            if any(not _covered(max(a, start), min(b, end), inner) for a, b in touching):
                found.add(node)
    kinds = dict(zip(head.nodes["id"], head.nodes["kind"])) | dict(
        zip(base.nodes["id"], base.nodes["kind"]))
    return sorted(n for n in found if kinds.get(n) in CHANGE_KINDS)


def _covered(first: int, last: int, spans: list[tuple[int, int]]) -> bool:
    """Whether lines ``first``..``last`` all lie within ``spans`` (sorted by start)."""
    for start, end in spans:
        if start > first:
            break
        if end >= first:
            first = end + 1
    return first > last


def _changed_at_top_level(head: Snapshot, files: list[str],
                          lines: dict[str, list[tuple[int, int]]] | None) -> list[str]:
    """The changed file-level nodes among ``files`` whose own lines changed: a hunk not within
    one of their classes or functions (imports, constants, statements run on import), or no
    hunks known at all. The head's nodes are read once for all of them."""
    if lines is None or not files:
        return list(files)
    nodes = head.nodes
    path_of = dict(zip(nodes["id"], nodes["path"]))
    paths = {path_of.get(f) for f in files}
    defs = nodes[nodes["path"].isin(paths) & nodes["kind"].isin(
        (NodeKind.CLASS.value, NodeKind.FUNCTION.value)) & nodes["line_start"].notna()]
    spans: dict[str, list[tuple[int, int]]] = {}
    for path, start, end in zip(defs["path"], defs["line_start"].astype(int),
                                defs["line_end"].fillna(defs["line_start"]).astype(int)):
        spans.setdefault(path, []).append((start, end))

    def top_level(path) -> bool:
        if not isinstance(path, str):
            return True
        within = spans.get(path, [])
        return any(not any(start <= a and b <= end for start, end in within)
                   for a, b in lines.get(path, ()))

    return [f for f in files if top_level(path_of.get(f))]


def _inside(node: str, container: str) -> bool:
    """Whether ``node`` is ``container`` or defined inside it (by qualified name)."""
    if node == container:
        return True
    if container.endswith("/"):
        return node.startswith(container)
    return node.startswith(container + ":") or (":" in container and node.startswith(container + "."))


def covered_tasks(tasks: Iterable[Task], changed: Iterable[str], file_nodes: set[str]) -> list[int]:
    """Ids of the tasks whose touched nodes the change reaches (see the module docstring)."""
    changed = list(changed)
    ids = []
    for task in tasks:
        for touched in task.touched:
            if any(c == touched or (c not in file_nodes and _inside(c, touched))
                   or (touched not in file_nodes and c not in file_nodes and _inside(touched, c))
                   for c in changed):
                ids.append(task.id)
                break
    return ids


def new_violations(base: Snapshot, head: Snapshot, rules: list) -> pd.DataFrame:
    """Contract violations of ``head`` that ``base`` did not have (by contract, kind, importer
    and imported)."""
    if not rules:
        return pd.DataFrame(columns=_contracts.VIOLATION_COLUMNS)
    before = base.check(rules, errors="record")  # a module the change adds is missing in base
    after = head.check(rules)
    seen = set(before[_contracts.VIOLATION_KEY].itertuples(index=False, name=None))
    keep = [tuple(k) not in seen for k in after[_contracts.VIOLATION_KEY].itertuples(index=False, name=None)]
    return after[keep].reset_index(drop=True)


def review_maps(base: Snapshot, head: Snapshot, *, tasks: Iterable[Task] = (),
                rules: "_contracts.ContractSet | Iterable | None" = None,
                lines: dict[str, list[tuple[int, int]]] | None = None,
                wide_impact: int = WIDE_IMPACT) -> ReviewFindings:
    """Review the change from ``base`` to ``head`` (see the module docstring). ``rules``: the
    repository's contracts; None or empty when it has none (a review then checks cycles,
    removals and impact only)."""
    d = map_diff(base, head)
    added, removed = d.nodes_added["node"].tolist(), d.nodes_removed["node"].tolist()
    changed = changed_nodes(base, head, added=added, removed=removed, lines=lines)
    if rules is None:
        rules = []
    violations = new_violations(base, head, rules if isinstance(rules, _contracts.ContractSet) else list(rules))
    head_ids = set(head.nodes["id"])
    still = [n for n in changed if n in head_ids]
    file_nodes = set(head.nodes.loc[head.nodes["kind"].isin(FILE_KINDS), "id"]) | set(
        base.nodes.loc[base.nodes["kind"].isin(FILE_KINDS), "id"])
    # a changed file's importers are impacted through its own top-level lines only; the
    # callers of its changed definitions come through those definitions
    impact_files: list[str] = []
    for node, kind, _ in impact_rows(
            head, [n for n in still if n not in file_nodes], limit=500,
            alone=_changed_at_top_level(head, [n for n in still if n in file_nodes], lines)):
        target = node if kind in FILE_KINDS else _file_of(node)
        if target not in impact_files and target not in {_file_of(c) for c in changed}:
            impact_files.append(target)
    task_list = list(tasks)
    covered = covered_tasks(task_list, changed, file_nodes)

    reasons: list[str] = []
    verdict = "ok"
    if not violations.empty:
        verdict = "blocked"
        for v in violations.head(5).itertuples(index=False):
            reasons.append(f"breaks contract {v.contract}: {v.importer} imports {v.imported}"
                           + (f" (line {int(v.line)})" if not pd.isna(v.line) else ""))
    if not d.cycles_new.empty:
        verdict = "blocked"
        for cycle in d.cycles_new["cycle"].head(3):
            reasons.append("new import cycle: " + " -> ".join(cycle))
    broken = []
    gone = [n for n in removed if n in set(base.nodes["id"])]
    for node in gone:
        users = [u for u, _, _ in impact_rows(base, [node], limit=20)
                 if u in head_ids and u not in changed and not _inside(u, node)]
        if users:
            broken.append(f"{node} was removed but {', '.join(users[:3])} depended on it")
    if broken or len(impact_files) > wide_impact:
        if verdict == "ok":
            verdict = "attention"
        reasons.extend(broken[:5])
        if len(impact_files) > wide_impact:
            reasons.append(f"wide impact: {len(impact_files)} files depend on the changed code")
    if verdict == "ok":
        reasons.append("no new contract violation or import cycle; nothing removed is still used")
    counts = {"nodes_added": len(added), "nodes_removed": len(removed),
              "edges_added": len(d.edges_added), "edges_removed": len(d.edges_removed),
              "cycles_new": len(d.cycles_new), "cycles_broken": len(d.cycles_broken),
              "moved": len(d.moved), "violations_new": len(violations), "changed": len(changed),
              "impact_files": len(impact_files), "tasks_covered": len(covered)}
    records = tuple({k: (None if pd.isna(v) else v) if not isinstance(v, (list, tuple)) else list(v)
                     for k, v in row.items()} for row in violations.to_dict("records"))
    return ReviewFindings(verdict, tuple(reasons), counts, tuple(changed), records,
                        tuple(impact_files), tuple(covered))
