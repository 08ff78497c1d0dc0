"""Search answers known questions on a real repository, and says what is wrong with bad ones."""

from __future__ import annotations

import pytest

from workbench import Workbench
from workbench.config import Config
from workbench.search.errors import EmbedderUnavailable, InvalidSearch
from workbench.search.service import COLUMNS


@pytest.fixture(scope="module")
def indexed(known_index):
    """The known repository mapped and indexed once for this module's read-only searches."""
    return known_index


def _top(frame, n=3):
    return [p if isinstance(p, str) else c for p, c in zip(frame["path"][:n], frame["commit"][:n])]


@pytest.mark.parametrize("query,expected", [
    ("retry_with_backoff", "src/net/retry.py"),
    ("parseHeaderLine", "src/net/http_client.py"),
    ("parse header line", "src/net/http_client.py"),
    ("HttpClient.get", "src/net/http_client.py"),
    ("LRUCache", "src/store/cache.py"),
    ("verify_jwt_token", "src/auth/tokens.py"),
    ("makeSlug", "web/slug.ts"),
])
def test_identifiers_find_their_definition_first(indexed, query, expected):
    for mode in ("text", "hybrid"):
        hits = indexed.search(query, "netkit", mode=mode)
        assert hits["path"].iloc[0] == expected, (mode, hits[["path", "node", "score"]])


@pytest.mark.parametrize("query,expected", [
    ("wait longer after each failure", "src/net/retry.py"),
    ("evict the least recently used entry", "src/store/cache.py"),
    ("check the signature of a json web token", "src/auth/tokens.py"),
    ("turn a title into a url", "web/slug.ts"),
])
def test_questions_find_the_right_file_in_the_top_three(indexed, query, expected):
    for mode in ("vector", "hybrid"):
        hits = indexed.search(query, "netkit", mode=mode, kinds=["code"])
        assert expected in _top(hits), (mode, hits[["path", "node", "score"]])


def test_a_hit_links_to_its_node_and_lines(indexed):
    hits = indexed.search("parseHeaderLine", "netkit", k=5)
    assert list(hits.columns) == COLUMNS
    best = hits.iloc[0]
    assert best["node"] == "net.http_client:parseHeaderLine" and best["node_kind"] == "function"
    assert (best["line_start"], best["line_end"]) == (19, 22)
    assert best["language"] == "python" and best["kind"] == "code"
    assert "def parseHeaderLine(line):" in best["text"] and best["preview"].startswith("def parse")
    assert best["bm25"] > 0 and best["vector"] == best["vector"] and best["graph"] > 0
    assert list(hits["rank"]) == list(range(1, len(hits) + 1))
    assert hits["score"].is_monotonic_decreasing
    method = indexed.search("HttpClient.get", "netkit", k=1).iloc[0]
    assert method["node"] == "net.http_client:HttpClient.get" and method["line_start"] == 11


def test_docs_sections_config_and_commits_are_searchable(indexed):
    docs = indexed.search("configuring the cache", "netkit", kinds=["docs"])
    assert docs.iloc[0]["path"] == "docs/guide.md" and docs.iloc[0]["line_start"] == 9
    assert docs.iloc[0]["title"] == "Configuring the cache"
    config = indexed.search("capacity", "netkit", kinds=["config"])
    assert config.iloc[0]["path"] == "settings.toml"
    commits = indexed.search("when did we add retries", "netkit", kinds=["commits"])
    best = commits.iloc[0]
    assert best["title"].startswith("Add an HTTP client with exponential backoff")
    assert len(best["commit"]) == 40 and best["path"] is None or best["path"] != best["path"]
    assert "src/net/retry.py" in best["text"]  # the files it touched
    assert set(indexed.search("retries", "netkit", k=50)["kind"]) >= {"code", "commits"}


def test_filters_narrow_the_hits(indexed):
    ts = indexed.search("title", "netkit", language="typescript")
    assert set(ts["language"]) == {"typescript"}
    under = indexed.search("retry", "netkit", path="src/net/*", k=20)
    assert len(under) and all(p.startswith("src/net/") for p in under["path"])
    # what the filters leave may be fewer than k: a chunk that scores nothing is no hit
    for mode in ("hybrid", "vector", "text"):
        few = indexed.search("retry", "netkit", path="src/net/*", k=50, mode=mode)
        assert len(few) and (few["score"] > 0).all(), (mode, few[["path", "score"]])
    classes = indexed.search("cache", "netkit", node_kind="class")
    assert set(classes["node_kind"]) == {"class"}
    assert indexed.search("zzzz_nothing_like_this", "netkit", mode="text").empty


def test_tests_sink_unless_asked_for(indexed):
    hits = indexed.search("test_retry_with_backoff", "netkit", mode="text", k=10)
    with_tests = indexed.search("test_retry_with_backoff", "netkit", mode="text", k=10,
                                include_tests=True)
    sunk = hits.set_index("chunk_id")["graph"]
    kept = with_tests.set_index("chunk_id")["graph"]
    test_chunk = with_tests[with_tests["path"] == "tests/test_retry.py"]["chunk_id"].iloc[0]
    assert kept[test_chunk] == 1.0 and sunk[test_chunk] == 0.5


def test_the_project_handle_searches_too(indexed):
    hits = indexed.project("netkit").search("LRUCache", k=2, mode="text")
    assert hits.iloc[0]["path"] == "src/store/cache.py" and len(hits) <= 2


def test_the_first_search_of_a_snapshot_builds_its_index(wb, known_repo):
    wb.map(str(known_repo), name="netkit")
    assert wb.index_state("netkit") is None
    hits = wb.search("LRUCache", "netkit")
    assert hits.iloc[0]["path"] == "src/store/cache.py"
    state = wb.index_state("netkit")
    assert state["chunks"] > 10 and wb.job(state["job_id"]).type == "index"


@pytest.mark.parametrize("kwargs,words", [
    ({"query": "  "}, "give a query"),
    ({"mode": "fuzzy"}, "mode must be one of"),
    ({"kinds": ["code", "tests"]}, "kinds must be among"),
    ({"k": 0}, "k must be"),
    ({"language": "cobol"}, r"language must be one of c, cpp, .*, python, .*typescript \(any "
                            r"case, or a file extension such as py, ts or rs\), not 'cobol'"),
    ({"node_kind": "bogus"}, "node kind must be one of function, class, module, package, file, "
                             "not 'bogus'$"),
    ({"node_kind": "method"}, "node kind must be one of function, class, .*not 'method'; "
                              "methods are stored as kind 'function'"),
    ({"language": "py", "kinds": ["docs"]}, "only code has a language, and the kinds searched "
                                            "are docs: search code too"),
    ({"node_kind": "class", "kinds": ["docs", "commits"]}, "only code has a node kind"),
    ({"path": "src/*", "kinds": ["commits"]}, "commits have no path"),
])
def test_bad_searches_say_what_to_do(indexed, kwargs, words):
    args = {"query": "cache", **kwargs}
    with pytest.raises(InvalidSearch, match=words) as caught:
        indexed.search(args.pop("query"), "netkit", **args)
    assert caught.value.argument == next(iter(kwargs))


def test_a_language_is_named_in_any_case_or_by_its_file_extension(indexed):
    python = indexed.search("cache", "netkit", language="python", mode="text", k=20)
    assert len(python) and set(python["language"]) == {"python"}
    for alias in ("Python", "PY", "py", ".py"):
        same = indexed.search("cache", "netkit", language=alias, mode="text", k=20)
        assert same["chunk_id"].tolist() == python["chunk_id"].tolist(), alias
    for alias in ("ts", "TypeScript", ".ts"):
        ts = indexed.search("title", "netkit", language=alias, mode="text")
        assert ts["path"].tolist() == ["web/slug.ts"] and set(ts["language"]) == {"typescript"}


def test_a_bad_filter_is_refused_before_the_index_is_built(wb, known_repo):
    wb.map(str(known_repo), name="netkit")
    for kwargs in ({"language": "cobol"}, {"node_kind": "method"}):
        with pytest.raises(InvalidSearch):
            wb.search("cache", "netkit", **kwargs)
    assert wb.index_state("netkit") is None


def test_an_unknown_or_unusable_embedder_names_the_fix(data_dir, known_repo, tmp_path):
    with Workbench(config=Config(data_dir=data_dir, embedder="nonesuch")) as wb:
        wb.map(str(known_repo), name="netkit")
        with pytest.raises(EmbedderUnavailable, match="known: .*wordllama"):
            wb.index("netkit")
    for spec, words in (("model2vec:" + str(tmp_path / "absent"), "no model directory"),
                        ("model2vec", "needs a local model directory"),
                        ("openai", "name the model")):
        with Workbench(config=Config(data_dir=data_dir, embedder=spec)) as wb:
            with pytest.raises(EmbedderUnavailable, match=words):
                wb.search("cache", "netkit")
