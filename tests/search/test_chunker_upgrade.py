"""An index built by an earlier chunker version is built again, not searched empty."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import commit, init_repo, write
from workbench import Workbench
from workbench.cli import main
from workbench.search.chunking import CHUNKER_VERSION


def _as_built_by_an_older_chunker(wb: Workbench, version: int | None) -> None:
    """What a data directory indexed before an upgrade holds: chunks and sources of the older
    version, and its index row naming it (NULL: a row kept from before schema 31)."""
    old = CHUNKER_VERSION - 1

    def downgrade(cur) -> None:
        cur.execute("DELETE FROM chunk_sources WHERE chunker_version = ?", [old])
        cur.execute("DELETE FROM chunks WHERE chunker_version = ?", [old])
        cur.execute("UPDATE chunks SET chunker_version = ?", [old])
        cur.execute("UPDATE chunk_sources SET chunker_version = ?", [old])
        cur.execute("UPDATE search_indexes SET chunker_version = ?", [version])

    wb.store.db.write(downgrade)


def _project(tmp_path: Path) -> Workbench:
    repo = init_repo(tmp_path / "up")
    write(repo, {"up/__init__.py": "", "up/pager.py": (
        'def echo_via_pager(text):\n    """Show text one screen at a time."""\n'
        "    return text\n")})
    commit(repo, "one")
    wb = Workbench(tmp_path / "data")
    wb.map(str(repo), name="up")
    wb.index("up", wait=True)
    return wb


def test_a_search_after_an_upgrade_builds_the_index_again(tmp_path: Path):
    wb = _project(tmp_path)
    assert wb.search("echo_via_pager", "up", k=3).iloc[0]["node"].endswith(":echo_via_pager")
    for kept in (CHUNKER_VERSION - 1, None):
        _as_built_by_an_older_chunker(wb, kept)
        assert wb.index_state("up") is None  # as good as missing
        hits = wb.search("echo_via_pager", "up", k=3)
        assert len(hits) and hits.iloc[0]["node"].endswith(":echo_via_pager"), kept
        assert wb.index_state("up")["chunker_version"] == CHUNKER_VERSION
    wb.close()


def test_the_search_command_after_an_upgrade_indexes_first(tmp_path: Path, capsys):
    wb = _project(tmp_path)
    _as_built_by_an_older_chunker(wb, None)
    wb.close()
    main(["--data-dir", str(tmp_path / "data"), "search", "echo_via_pager", "-p", "up"],
         standalone_mode=False)
    out = capsys.readouterr()
    assert "up/pager.py" in out.out and "No hits" not in out.out
    assert "indexed" in out.err
