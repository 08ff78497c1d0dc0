"""An idea gets code areas only on evidence that it is about them: a name it spells, or
several of its words meeting in one node. A word it shares by chance with a docstring or a
name is not enough; an idea with no evidence says no code was found and how to name it."""

from __future__ import annotations

import pytest

from tests.helpers import commit, init_repo, invoke_cli, write
from workbench.agents.areas import find_code_areas

LIB = {
    "lib/__init__.py": "",
    "lib/fields.py": (
        "def attrib(default=None, validator=None, cmp=None):\n"
        '    """Define an attribute of a class.\n\n'
        "    Setting *cmp* is deprecated: users should pass eq and order instead.\n"
        '    """\n'
        "    return default\n\n\n"
        "def fields(cls):\n"
        '    """Return the attributes of a class, in the order they were defined."""\n'
        "    return cls\n"),
    "lib/app.py": (
        "from lib.fields import attrib\n\n\n"
        "def create():\n"
        '    """Build the application object."""\n'
        "    return attrib()\n"),
    "tests/test_fields.py": "from lib.fields import fields\n\n\ndef test_fields():\n"
                            "    assert fields(int) is int\n",
}

DARK_MODE = ("Add a dark mode to the mobile app",
             "Users want the mobile app to switch to a dark colour scheme at night, with a "
             "toggle in the settings screen.")


@pytest.fixture
def lib(wb, tmp_path):
    repo = init_repo(tmp_path / "lib")
    write(repo, LIB)
    commit(repo, "lib")
    wb.map(str(repo), name="lib")
    return wb


def test_a_word_shared_by_chance_is_no_code_area(lib):
    snap = lib.snapshot("lib")
    title, text = DARK_MODE

    def search(query, k):
        return lib.search(query, "lib", k=k, snapshot_id=snap.id, kinds={"code"})

    hits = search(" ".join(["dark", "mode", "mobile", "app", "settings", "users"]), 10)
    assert "lib.fields:attrib" in set(hits[hits["bm25"] > 0]["node"])  # "Setting", "users"
    assert find_code_areas(snap, text, title=title, search=search) == []
    assert find_code_areas(snap, text, title=title) == []  # "app" alone names lib.app


def test_an_idea_no_code_was_found_for_says_so_and_what_to_do(lib, data_dir):
    idea = lib.ideas.add("lib", *DARK_MODE, run=True)
    spec = lib.ideas.spec(idea.id)
    assert idea.status == "planned" and spec.code_areas == ()
    said = [r for r in spec.requirements if r.startswith("No code was found for this idea")]
    assert len(said) == 1 and "name the files, modules or functions to change" in said[0]
    assert "in a new idea" in said[0] and "`lib/" in said[0]  # an example from this map
    assert not [r for r in spec.requirements if r.startswith("Change ")]
    tasks = lib.ideas.task_list(idea_id=idea.id)
    assert [t.title for t in tasks] == [f"Find the code for: {DARK_MODE[0]}"]
    assert tasks[0].touched == () and "no change is planned" in tasks[0].description
    shown = invoke_cli("idea", "show", str(idea.id), data_dir=data_dir)
    assert "code areas: none; no code was found for this idea" in shown.stdout


@pytest.mark.parametrize("title,text,node,found_by", [
    ("Deprecate cmp", "`attrib` should warn when cmp is given.", "lib.fields:attrib", "named"),
    ("Rework the factory", "Split lib/app.py in two.", "lib.app", "named"),
    ("Fields in definition order", "Return the fields of a class in the order they were "
     "defined.", "lib.fields:fields", "search+map"),
])
def test_code_the_idea_names_or_whose_names_hold_its_words_is_found(lib, title, text, node,
                                                                     found_by):
    snap = lib.snapshot("lib")
    areas = find_code_areas(snap, text, title=title, search=lambda q, k: lib.search(
        q, "lib", k=k, snapshot_id=snap.id, kinds={"code"}))
    assert areas and (areas[0].node, areas[0].found_by) == (node, found_by), areas
    assert "the idea's words that meet in it" in areas[0].reason or found_by == "named"
