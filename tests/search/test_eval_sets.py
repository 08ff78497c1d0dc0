"""The labelled evaluation sets for search and ask are well-formed and point at real files.

The sdist they label is downloaded by the benchmarks (``benchmarks/eval_corpus.py``) into
``data/bench/``; these tests never download it: the path checks run when it is in that cache and
are skipped, with the command that fetches it, when it is not.
"""

from __future__ import annotations

import sys
import tarfile
import tomllib
from collections import Counter
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = ROOT / "benchmarks" / "eval"
BENCH_DIR = ROOT / "data" / "bench"
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


def _sdist_texts() -> dict[str, str]:
    """Paths and texts of the cached sdist (unpacked or as its archive); skip when absent."""
    unpacked = BENCH_DIR / LABEL
    if unpacked.is_dir():
        return {p.relative_to(unpacked).as_posix(): p.read_text(errors="replace")
                for p in unpacked.rglob("*") if p.is_file()}
    archive = BENCH_DIR / f"{LABEL}.tar.gz"
    if archive.is_file():
        with tarfile.open(archive) as tar:
            prefix = f"{LABEL}/"
            return {m.name[len(prefix):]: tar.extractfile(m).read().decode(errors="replace")
                    for m in tar.getmembers() if m.isfile() and m.name.startswith(prefix)}
    pytest.skip(f"the {LABEL} sdist is not in {BENCH_DIR}; the search benchmark downloads it "
                "(.venv/bin/python benchmarks/bench_search_quality.py)")


def test_every_labelled_file_exists_in_the_sdist():
    texts = _sdist_texts()
    labelled = {(q["id"], f) for q in QUERIES["query"] for f in q["files"]}
    labelled |= {(q["id"], f) for q in QUESTIONS["question"] for f in q["files"]}
    missing = sorted((i, f) for i, f in labelled if f not in texts)
    assert missing == []


def test_identifier_queries_name_something_in_their_files():
    texts = _sdist_texts()
    for q in QUERIES["query"]:
        if q["type"] != "identifier":
            continue
        name = q["query"].split(".")[-1]
        for path in q["files"]:
            assert name.lower() in texts[path].lower(), \
                f"{q['id']}: {name!r} does not occur in {path}"
        if "." in q["query"]:  # Class.member: the class is defined in the labelled file
            owner = q["query"].split(".")[0]
            assert any(f"class {owner}" in texts[p] for p in q["files"]), q["id"]
