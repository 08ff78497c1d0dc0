"""A small repository whose whole history the tests know by heart.

======  ==========  ===========================  ==============================================
commit  date        author (as written)          what
======  ==========  ===========================  ==============================================
c1      2024-01-01  Alice <alice@example.com>    add src/app.py (3 lines), .mailmap (1 line)
c2      2024-01-05  alice <alice@old.example>    src/app.py +2; add "docs/read me.md" (2 lines)
c3      2024-02-01  Bob                          add binary assets/logo.png, src/ünïcode.py (4)
c4      2024-03-01  Bob                          rename src/app.py -> src/main.py, line 1 edited
c5      2024-03-10  Carol (committed by Bob      on branch feature: src/main.py line 2 edited
                    on 2024-03-20)
c6      2024-03-12  Alice                        on main: src/main.py line 2 edited differently
c7      2024-03-21  Alice                        merge feature, conflict resolved by hand
c8      2024-04-01  Carol                        empty commit
c9      2024-06-01  Bob                          src/ünïcode.py +1; "docs/read me.md" +1 -1
======  ==========  ===========================  ==============================================

The .mailmap folds ``alice <alice@old.example>`` into ``Alice <alice@example.com>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.history.gitrepo import GitRepo

ALICE = ("Alice", "alice@example.com")
ALICE_OLD = ("alice", "alice@old.example")
BOB = ("Bob", "bob@example.com")
CAROL = ("Carol", "carol@example.com")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x02"


@dataclass(frozen=True)
class Scenario:
    path: Path
    shas: dict[str, str]


def build_scenario(path: Path) -> Scenario:
    repo = GitRepo(path)
    shas = {}
    repo.write(".mailmap", "Alice <alice@example.com> alice <alice@old.example>\n")
    repo.write("src/app.py", "a1\na2\na3\n")
    shas["c1"] = repo.commit("Initial import", ALICE, "2024-01-01T10:00:00+00:00")
    repo.write("src/app.py", "a1\na2\na3\na4\na5\n")
    repo.write("docs/read me.md", "# Read me\nhello\n")
    shas["c2"] = repo.commit("Extend app\n\nWith a body.", ALICE_OLD, "2024-01-05T10:00:00+02:00")
    repo.write("assets/logo.png", PNG)
    repo.write("src/ünïcode.py", "u1\nu2\nu3\nu4\n")
    shas["c3"] = repo.commit("Add logo and ünïcode", BOB, "2024-02-01T10:00:00+00:00")
    repo.git("mv", "src/app.py", "src/main.py")
    repo.write("src/main.py", "m1\na2\na3\na4\na5\n")
    shas["c4"] = repo.commit("Rename app to main", BOB, "2024-03-01T10:00:00+00:00")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("src/main.py", "m1\nfeature\na3\na4\na5\n")
    shas["c5"] = repo.commit(
        "Feature line", CAROL, "2024-03-10T10:00:00+00:00", committer=BOB, commit_date="2024-03-20T10:00:00+00:00"
    )
    repo.git("checkout", "-q", "main")
    repo.write("src/main.py", "m1\nmainline\na3\na4\na5\n")
    shas["c6"] = repo.commit("Mainline change", ALICE, "2024-03-12T10:00:00+00:00")
    shas["c7"] = repo.merge(
        "feature", "Merge feature", ALICE, "2024-03-21T10:00:00+00:00",
        resolve={"src/main.py": "m1\nresolved\na3\na4\na5\nextra\n"},
    )
    shas["c8"] = repo.commit("Nothing changed", CAROL, "2024-04-01T10:00:00+00:00")
    repo.write("src/ünïcode.py", "u1\nu2\nu3\nu4\nu5\n")
    repo.write("docs/read me.md", "# Read me\nhello world\n")
    shas["c9"] = repo.commit("Polish", BOB, "2024-06-01T10:00:00+00:00")
    return Scenario(path, shas)


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return build_scenario(tmp_path_factory.mktemp("history") / "repo")
