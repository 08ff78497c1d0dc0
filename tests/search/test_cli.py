"""``workbench search`` right after ``workbench map``: one hit per line, location first; and the
default install answers with the network switched off."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tests.helpers import ROOT, invoke_cli, run_cli

HIT = re.compile(r"^(?:(?P<path>[^\s:]+):(?P<line>\d+)|commit (?P<sha>[0-9a-f]{12}))  "
                 r"(?P<score>-?\d+\.\d{4})  (?P<what>\S+)  ")


def test_search_works_right_after_map(tmp_path, known_repo):
    data = tmp_path / "data"
    assert run_cli("map", str(known_repo), "--name", "netkit", data_dir=data).returncode == 0
    out = run_cli("search", "retry_with_backoff", "-p", "netkit", "--k", "3", data_dir=data)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 3 and all(HIT.match(line) for line in lines), lines
    first = HIT.match(lines[0])
    assert (first["path"], first["line"], first["what"]) == ("src/net/retry.py", "5", "function")
    assert "net.retry:retry_with_backoff" in lines[0]
    assert "indexed" in out.stderr  # the first search built the index

    commits = invoke_cli("search", "when were retries added", "-p", "netkit", "--kind", "commits",
                      data_dir=data)
    assert commits.returncode == 0, commits.stderr
    assert HIT.match(commits.stdout.splitlines()[0])["sha"]
    assert "indexed" not in commits.stderr  # built once

    filtered = invoke_cli("search", "title", "-p", "netkit", "--lang", "typescript", "--path",
                       "web/*", "--mode", "text", "--tests", data_dir=data)
    assert filtered.returncode == 0 and filtered.stdout.startswith("web/slug.ts:1  ")

    indexed = invoke_cli("index", "netkit", data_dir=data)
    assert indexed.returncode == 0 and "(0 new, 0 files and 0 commits" in indexed.stdout


def test_cli_errors_are_one_line(tmp_path, known_repo):
    data = tmp_path / "data"
    invoke_cli("map", str(known_repo), "--name", "netkit", data_dir=data)
    bad = run_cli("search", "cache", "-p", "netkit", "--k", "0", data_dir=data)
    assert bad.returncode == 2 and "--k" in bad.stderr
    missing = invoke_cli("search", "cache", "-p", "nowhere", data_dir=data)
    assert missing.returncode == 1 and missing.stderr.startswith("error: ")
    broken = invoke_cli("search", "cache", "-p", "netkit", data_dir=data,
                     env={"WORKBENCH_EMBEDDER": "model2vec"})
    assert broken.returncode == 1
    assert "model2vec:/path/to/model" in broken.stderr and "Traceback" not in broken.stderr


def _usage_error(out) -> str:
    """The one line of a usage error (exit code 2) that named the search's help and built no
    index; returns it."""
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert out.stdout == "" and "indexed" not in out.stderr and "Traceback" not in out.stderr
    line, = out.stderr.splitlines()
    assert line.startswith("error: ") and line.endswith("(see workbench search --help)")
    return line


def test_an_empty_query_is_a_usage_error_before_any_indexing(tmp_path, known_repo):
    data = tmp_path / "data"
    invoke_cli("map", str(known_repo), "--name", "netkit", data_dir=data)
    for query in ("", "   "):
        line = _usage_error(invoke_cli("search", query, "-p", "netkit", data_dir=data))
        assert "give a query: words, an identifier or a question" in line


def test_an_unknown_language_or_node_kind_is_a_usage_error_listing_the_allowed(tmp_path,
                                                                               known_repo):
    data = tmp_path / "data"
    invoke_cli("map", str(known_repo), "--name", "netkit", data_dir=data)
    lang = _usage_error(invoke_cli("search", "title", "-p", "netkit", "--lang", "cobol",
                                   data_dir=data))
    assert "Invalid value for '--lang'" in lang and "python" in lang and "typescript" in lang
    kind = _usage_error(invoke_cli("search", "title", "-p", "netkit", "--node-kind", "method",
                                   data_dir=data))
    assert "Invalid value for '--node-kind'" in kind
    assert "function, class, module, package, file" in kind and "'function'" in kind
    by_extension = invoke_cli("search", "title", "-p", "netkit", "--lang", "ts", "--mode", "text",
                              data_dir=data)
    assert by_extension.returncode == 0 and by_extension.stdout.startswith("web/slug.ts:1  ")


def test_a_filter_no_kind_searched_can_pass_is_a_usage_error(tmp_path, known_repo):
    data = tmp_path / "data"
    invoke_cli("map", str(known_repo), "--name", "netkit", data_dir=data)
    path = _usage_error(invoke_cli("search", "retries", "-p", "netkit", "--kind", "commits",
                                   "--path", "src/*", data_dir=data))
    assert "Invalid value for '--path': commits have no path" in path
    lang = _usage_error(invoke_cli("search", "cache", "-p", "netkit", "--kind", "docs",
                                   "--kind", "config", "--lang", "py", data_dir=data))
    assert "Invalid value for '--lang': only code has a language" in lang
    assert "docs, config" in lang
    kind = _usage_error(invoke_cli("search", "cache", "-p", "netkit", "--kind", "docs",
                                   "--node-kind", "class", data_dir=data))
    assert "Invalid value for '--node-kind': only code has a node kind" in kind
    docs = invoke_cli("search", "cache", "-p", "netkit", "--kind", "docs", "--kind", "commits",
                      "--path", "*.md", "--mode", "text", data_dir=data)
    assert docs.returncode == 0 and docs.stdout.startswith("docs/guide.md:9  "), docs.stdout


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="unshare -n is not permitted here (needs root "
                    "or user namespaces)")
def test_the_default_install_answers_with_the_network_off(tmp_path, known_repo):
    """Map, index and search in a network namespace with no interface but loopback down."""
    data = tmp_path / "data"
    script = (
        "from workbench import Workbench\n"
        f"wb = Workbench({str(data)!r})\n"
        f"wb.map({str(known_repo)!r}, name='netkit')\n"
        "hits = wb.search('wait longer after each failure', 'netkit', kinds=['code'])\n"
        "print(hits['path'].iloc[0])\n"
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('1.1.1.1', 443), timeout=2)\n"
        "    print('online')\n"
        "except OSError:\n"
        "    print('offline')\n"
    )
    out = subprocess.run(["unshare", "-n", sys.executable, "-c", script], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["src/net/retry.py", "offline"]


def test_a_commit_hit_previews_its_files_on_one_line():
    """A commit's chunk lists one changed file per line after ``files:``; its preview keeps
    them together, so the first file is not all a hit shows."""
    from workbench.search.chunking import chunk_commit
    from workbench.search.service import preview

    chunk = chunk_commit("raise the tax rate", ["shop/pricing.py", "shop/cli.py"])
    assert preview(chunk.text, chunk.kind) == (
        "raise the tax rate | files: shop/cli.py, shop/pricing.py")
    config = "build:\n  files:\n    - a.py\n    - b.py\n"  # a config's own key
    assert preview(config, "config") == "build: | files: | - a.py"
