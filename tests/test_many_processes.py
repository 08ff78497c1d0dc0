"""Many processes, one file: a notebook-like process, a papermill run and CLI calls at once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

from tests.helpers import ROOT, SAMPLE_V1, commit, init_repo, write
from workbench import Workbench

NOTEBOOK_LIKE = textwrap.dedent("""
    import sys
    from workbench import Workbench
    data, repos = sys.argv[1], sys.argv[2:]
    wb = Workbench(data, background=True)          # as in a notebook: jobs in the background
    handles = [wb.map(r, name=f"nb{i}") for i, r in enumerate(repos)]
    for h in handles:
        h.result(timeout=240)
    for i in range(len(repos)):
        snap = wb.snapshot(f"nb{i}")
        print("nodes", snap.graph.number_of_nodes(), len(snap.nodes))
        print(wb.sql("SELECT count(*) AS n FROM jobs").n[0])
    print("notebook-like done")
""")


def _repos(tmp_path: Path, n: int) -> list[Path]:
    out = []
    for i in range(n):
        repo = init_repo(tmp_path / f"r{i}")
        write(repo, {**SAMPLE_V1, f"src/shop/extra{i}.py": f"import shop.models\nX = {i}\n"})
        commit(repo, f"r{i}")
        out.append(repo)
    return out


def test_notebook_papermill_and_cli_share_one_data_dir(tmp_path):
    data = tmp_path / "data"
    repos = _repos(tmp_path, 5)
    env = {**os.environ, "WORKBENCH_WORKERS": "1", "WORKBENCH_LOCK_TIMEOUT": "120"}
    env.pop("WORKBENCH_BACKGROUND", None)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from workbench import Workbench\n"
        f"wb = Workbench({str(data)!r})\n"
        f"snap = wb.map({str(repos[3])!r}, name='pm')\n"
        "print('papermill snapshot', snap.id, wb.background)\n")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb_in, nb_out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, nb_in)

    script = tmp_path / "notebook_like.py"
    script.write_text(NOTEBOOK_LIKE)
    procs = {
        "notebook": subprocess.Popen([sys.executable, str(script), str(data), *map(str, repos[:3])],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True),
        "papermill": subprocess.Popen([sys.executable, "-m", "papermill", "--log-output",
                                       "-k", "python3", str(nb_in), str(nb_out)],
                                      cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True),
    }
    cli = [sys.executable, "-m", "workbench", "--data-dir", str(data)]
    cli_outputs = []
    for args in (["map", "-q", str(repos[4]), "--name", "cli"], ["status"], ["project", "list"],
                 ["sql", "SELECT count(*) FROM snapshots"], ["status"],
                 ["map", "-q", "cli"], ["project", "list"]):
        done = subprocess.run([*cli, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=240)
        cli_outputs.append(done.stdout + done.stderr)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    outputs = {}
    for name, proc in procs.items():
        out, _ = proc.communicate(timeout=300)
        outputs[name] = out
        assert proc.returncode == 0, (name, out)
    everything = "\n".join([*outputs.values(), *cli_outputs, nb_out.read_text()])
    assert "duckdb." not in everything and "IOException" not in everything
    assert "notebook-like done" in outputs["notebook"]
    assert "papermill snapshot" in nb_out.read_text() and "False" in nb_out.read_text()

    wb = Workbench(data)
    names = {p.name for p in wb.projects()}
    assert names == {"nb0", "nb1", "nb2", "pm", "cli"}
    assert all(wb.snapshot(n).stats["modules"] > 0 for n in names)
    jobs = wb.store.db.query("SELECT status, count(*) FROM jobs GROUP BY ALL")
    assert jobs == [("succeeded", 6)]  # five maps plus the CLI's second (reused) map
