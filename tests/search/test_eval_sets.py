"""The labelled evaluation sets for search and ask are well-formed and point at real files.

The sdist they label is downloaded by the benchmarks (``benchmarks/eval_corpus.py``) into
``data/bench/``, never by these tests: the benchmarks check every label against it
(``eval_corpus.check_labels``) before they score anything.
"""

from __future__ import annotations

import sys
import tomllib
from collections import Counter
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = ROOT / "benchmarks" / "eval"
QUERY_TYPES = {"natural", "identifier"}


def _load(name: str) -> dict:
    with (EVAL_DIR / name).open("rb") as handle:
        return tomllib.load(handle)


QUERIES = _load("search_queries.toml")
QUESTIONS = _load("ask_questions.toml")
CORPUS = QUERIES["corpus"]
LABEL = f"{CORPUS['package']}-{CORPUS['version']}"


def _check_paths(paths: list, where: str) -> None:
    assert isinstance(paths, list), f"{where}: files must be a list"
    assert len(set(paths)) == len(paths), f"{where}: a file is listed twice"
    for path in paths:
        assert isinstance(path, str) and path, f"{where}: {path!r} is not a path"
        pure = PurePosixPath(path)
        assert not pure.is_absolute() and ".." not in pure.parts and "\\" not in path, \
            f"{where}: {path!r} must be relative to the sdist root, in POSIX form"


def test_both_sets_label_the_same_corpus():
    assert set(CORPUS) == {"package", "version"}
    assert QUESTIONS["corpus"] == CORPUS


def test_search_queries_are_well_formed():
    queries = QUERIES["query"]
    assert len(queries) >= 40
    ids = Counter(q["id"] for q in queries)
    assert [i for i, n in ids.items() if n > 1] == []
    assert len({q["query"].lower() for q in queries}) == len(queries), "a query is repeated"
    for q in queries:
        assert set(q) <= {"id", "type", "query", "files", "commits", "note"}, q["id"]
        assert q["type"] in QUERY_TYPES, q["id"]
        assert q["query"].strip() == q["query"] and q["query"], q["id"]
        _check_paths(q["files"], q["id"])
        commits = q.get("commits", [])
        assert all(isinstance(c, str) and c for c in commits), q["id"]
        assert 1 <= len(q["files"]) + len(commits) <= 3, f"{q['id']}: label 1 to 3 targets"
    types = Counter(q["type"] for q in queries)
    assert set(types) == QUERY_TYPES
    assert abs(types["natural"] - types["identifier"]) <= len(queries) // 5, \
        f"natural and identifier queries should be about half each: {dict(types)}"


def test_commit_labels_name_exactly_one_commit_of_the_corpus():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from eval_corpus import STEPS
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    messages = [message for message, _ in STEPS]
    labelled = [c for q in QUERIES["query"] for c in q.get("commits", [])]
    assert labelled, "some queries should ask about the history"
    for label in labelled:
        matches = [m for m in messages if label.lower() in m.lower()]
        assert len(matches) == 1, f"{label!r} matches {matches}"


def test_ask_questions_are_well_formed():
    questions = QUESTIONS["question"]
    assert len(questions) >= 30
    ids = Counter(q["id"] for q in questions)
    assert [i for i, n in ids.items() if n > 1] == []
    for q in questions:
        assert set(q) <= {"id", "question", "files", "note"}, q["id"]
        assert q["question"].strip().endswith("?"), q["id"]
        _check_paths(q["files"], q["id"])
        assert 1 <= len(q["files"]) <= 3, q["id"]


def test_the_benchmarks_refuse_labels_that_do_not_match_the_sdist(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import eval_corpus
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    labelled = {f for q in [*QUERIES["query"], *QUESTIONS["question"]] for f in q["files"]}
    names = " ".join(q["query"].split(".")[-1] for q in QUERIES["query"])
    for rel in labelled:  # a stand-in sdist: every labelled file, naming every identifier
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(names)
    eval_corpus.check_labels(tmp_path)
    missing = sorted(labelled)[0]
    (tmp_path / missing).unlink()
    with pytest.raises(SystemExit, match=missing.replace(".", "[.]")):
        eval_corpus.check_labels(tmp_path)


def test_other_search_sets_are_well_formed_and_their_nodes_lie_in_their_files():
    sets = sorted(EVAL_DIR.glob("search_queries_*.toml"))
    assert sets, "a labelled set on a second corpus"
    for path in sets:
        labelled = _load(path.name)
        assert set(labelled["corpus"]) == {"package", "version"}, path.name
        queries = labelled["query"]
        assert len({q["id"] for q in queries}) == len(queries) >= 12, path.name
        for q in queries:
            assert set(q) <= {"id", "type", "query", "files", "nodes", "note"}, q["id"]
            assert q["type"] in QUERY_TYPES and q["query"].strip() == q["query"], q["id"]
            _check_paths(q["files"], q["id"])
            for node in q.get("nodes", []):
                module, _, name = node.partition(":")
                assert name, f"{q['id']}: {node!r} is not module:qualname"
                assert f"{module.replace('.', '/')}.py" in q["files"], (q["id"], node)
