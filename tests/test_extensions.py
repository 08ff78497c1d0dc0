"""DuckDB extensions come from the pinned wheels and load with no network at all."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import duckdb

SCRIPT = textwrap.dedent("""
    import sys
    from workbench.store.database import Database, load_extension
    db = Database(sys.argv[1])
    def check(cur):
        load_extension(cur, "fts")
        load_extension(cur, "vss")
        cur.execute("CREATE TABLE docs (id INT, body VARCHAR)")
        cur.execute("INSERT INTO docs VALUES (1, 'system maps of git repositories'), (2, 'nothing here')")
        cur.execute("PRAGMA create_fts_index('docs', 'id', 'body')")
        return cur.execute(
            "SELECT id FROM (SELECT id, fts_main_docs.match_bm25(id, 'repositories') AS s FROM docs) WHERE s IS NOT NULL"
        ).fetchall()
    print(db.read(check))
""")


def test_duckdb_is_the_pinned_version():
    assert duckdb.__version__ == "1.5.5"


def test_fts_and_vss_load_offline(tmp_path):
    """Run in a network namespace with no interfaces (root) or with every proxy pointing nowhere."""
    env = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    cmd = [sys.executable, "-c", SCRIPT, str(tmp_path / "x.duckdb")]
    isolated = shutil.which("unshare") and subprocess.run(
        ["unshare", "-n", "true"], capture_output=True).returncode == 0
    if isolated:
        cmd = ["unshare", "-n", *cmd]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[(1,)]"
    # the extension was installed into the data directory, not fetched into ~/.duckdb
    assert list((tmp_path / "extensions").rglob("fts.duckdb_extension"))
    assert not (tmp_path / ".duckdb").exists()
