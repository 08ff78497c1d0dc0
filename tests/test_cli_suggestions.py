"""A mistyped command, subcommand or project name is answered with the closest names."""

from __future__ import annotations

import click
import pytest

from tests.helpers import invoke_cli, run_cli
from tests.test_cli import _commands


def _groups():
    return [(command, cmd) for command, cmd in _commands() if isinstance(cmd, click.Group)]


def _typo(name: str) -> str:
    """``name`` with one letter left out (not the first, so that it stays recognisable)."""
    return name[0] + name[2:] if len(name) > 3 else name + "x"


def test_a_mistyped_top_level_command_names_the_closest(tmp_path):
    # search is loaded on first use: it is offered all the same
    out = invoke_cli("serch", "foo", data_dir=tmp_path / "data")
    assert out.returncode == 2
    assert out.stderr.strip() == ("error: No such command 'serch'. Did you mean one of: "
                                  "'search', 'serve'? (see workbench --help)")
    assert "Did you mean 'status'?" in invoke_cli("stat", data_dir=tmp_path / "data").stderr


def test_a_real_process_suggests_too(tmp_path):
    out = run_cli("querry", "cycles", data_dir=tmp_path / "data")
    assert out.returncode == 2
    assert out.stderr.strip() == ("error: No such command 'querry'. Did you mean 'query'? "
                                  "(see workbench --help)")


@pytest.mark.parametrize("command", [c for c, _ in _groups()],
                         ids=lambda c: " ".join(c) or "workbench")
def test_every_group_suggests_its_commands(tmp_path, command):
    group = dict((tuple(c), k) for c, k in _groups())[tuple(command)]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        typo = _typo(name)
        if group.get_command(ctx, typo) is not None:
            continue
        out = invoke_cli(*command, typo, data_dir=tmp_path / "data")
        assert out.returncode == 2, out.stderr
        assert f"No such command {typo!r}. Did you mean" in out.stderr, out.stderr
        assert repr(name) in out.stderr.split("Did you mean")[1], out.stderr


def test_nothing_close_is_no_suggestion(tmp_path):
    out = invoke_cli("xyzzy", data_dir=tmp_path / "data")
    assert out.returncode == 2
    assert out.stderr.strip() == "error: No such command 'xyzzy'. (see workbench --help)"


def test_a_mistyped_project_names_the_closest(tmp_path, sample_repo):
    data = tmp_path / "data"
    assert invoke_cli("project", "add", "shop", str(sample_repo), data_dir=data).returncode == 0
    out = invoke_cli("query", "cycles", "-p", "shp", data_dir=data)
    assert out.returncode == 1
    assert "no project named 'shp'. Did you mean 'shop'? Known projects: shop." in out.stderr
    mapped = invoke_cli("map", "shpo", data_dir=data)  # a bare word: a project name mistyped
    assert mapped.returncode == 1
    assert "Did you mean 'shop'?" in mapped.stderr, mapped.stderr
    far = invoke_cli("query", "cycles", "-p", "zzz", data_dir=data)
    assert "Did you mean" not in far.stderr and "Known projects: shop." in far.stderr


def test_many_projects_are_listed_in_part(wb, tmp_path, sample_repo):
    from workbench.errors import ProjectNotFound
    from workbench.store.projects import KNOWN_LISTED

    for i in range(KNOWN_LISTED + 3):
        wb.store.projects.add(f"p{i:02d}", str(sample_repo), "local", str(tmp_path / f"c{i}"))
    with pytest.raises(ProjectNotFound) as caught:
        wb.project("p1x")
    message = str(caught.value)
    assert "Did you mean" in message
    assert f"p{KNOWN_LISTED - 1:02d} and 3 more (`workbench project list`)." in message
    assert f"p{KNOWN_LISTED:02d}," not in message
