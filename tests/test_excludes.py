"""Vendored and minified code is left out of maps by default; patterns are the user's to set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit, init_repo, run_cli, write
from workbench import Workbench
from workbench.config import Config
from workbench.errors import ConfigError
from workbench.mapping.excludes import DEFAULT_EXCLUDES, Excluder

APP_JS = "import { helper } from './lib/helper.js';\nexport function main() { return helper(); }\n"


@pytest.fixture
def vendored_repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "web")
    write(repo, {
        "src/app.js": APP_JS,
        "src/lib/helper.js": "export function helper() { return 1; }\n",
        "src/vendor/jquery.js": "export function $(s) { return s; }\n",
        "node_modules/left-pad/index.js": "module.exports = function leftPad(s) { return s; };\n",
        "static/bundle.min.js": "export function tiny() { return 0; }\n",
        "tools/build.py": "import os\n\n\ndef build():\n    return os.getcwd()\n",
    })
    commit(repo, "web app with vendored code")
    return repo


def test_vendored_and_minified_files_are_left_out_with_the_pattern_as_reason(wb, vendored_repo):
    snap = wb.map(str(vendored_repo))
    files = snap.files.set_index("path")
    assert files.loc["src/vendor/jquery.js", "reason"] == "excluded by 'vendor/'"
    assert files.loc["node_modules/left-pad/index.js", "reason"] == "excluded by 'node_modules/'"
    assert files.loc["static/bundle.min.js", "reason"] == "excluded by '*.min.js'"
    assert {files.loc[p, "status"] for p in ("src/vendor/jquery.js", "static/bundle.min.js")} == {"ignored"}
    paths = set(snap.nodes["path"].dropna())
    assert {"src/app.js", "src/lib/helper.js", "tools/build.py"} <= paths
    assert not paths & {"src/vendor/jquery.js", "node_modules/left-pad/index.js", "static/bundle.min.js"}
    assert snap.stats["excluded_files"] == 3 and snap.stats["exclude"] == list(DEFAULT_EXCLUDES)
    assert "excluded 3" in snap.summary().to_text()


def test_other_patterns_map_the_commit_again_and_the_same_ones_reuse_it(wb, vendored_repo):
    default = wb.map(str(vendored_repo))
    everything = wb.map("web", exclude=())
    assert everything.id != default.id and everything.stats["excluded_files"] == 0
    assert "src/vendor/jquery.js" in set(everything.nodes["path"].dropna())
    assert wb.map("web", exclude=[]).id == everything.id  # same patterns: the map is reused
    custom = wb.map("web", exclude=["tools/", "!src/vendor/", "vendor/"])
    files = custom.files.set_index("path")
    assert files.loc["tools/build.py", "reason"] == "excluded by 'tools/'"
    assert files.loc["src/vendor/jquery.js", "reason"] == "excluded by 'vendor/'"  # last wins
    again = wb.map("web")  # the commit's map with these patterns is reused, newer ones or not
    assert again.id == default.id and again.reused
    assert again.stats["exclude"] == list(DEFAULT_EXCLUDES)
    forced = wb.map("web", force=True)
    assert forced.id > custom.id and forced.stats["parsed_now"] == 0  # from the parse cache


def test_negated_patterns_take_paths_back():
    excluder = Excluder(["vendor/", "!src/vendor/"])
    assert excluder.reason("lib/vendor/a.js") == "excluded by 'vendor/'"
    assert excluder.reason("src/vendor/a.js") is None
    assert Excluder(()).reason("node_modules/x.js") is None


def test_the_environment_sets_the_patterns_and_none_maps_everything():
    assert Config.from_env({"WORKBENCH_EXCLUDE": "gen/, *.pb.go"}).exclude == ("gen/", "*.pb.go")
    assert Config.from_env({"WORKBENCH_EXCLUDE": "none"}).exclude == ()
    assert Config.from_env({}).exclude == DEFAULT_EXCLUDES
    with pytest.raises(ConfigError, match="invalid exclude pattern"):
        Config(exclude=("vendor/", "!"))


def test_cli_exclude_options(tmp_path, vendored_repo):
    data = tmp_path / "data"
    out = run_cli("map", str(vendored_repo), "--no-exclude", "-q", data_dir=data)
    assert out.returncode == 0, out.stderr
    assert "excluded" not in out.stdout.splitlines()[1]
    out = run_cli("map", "web", "--exclude", "src/lib/", "-q", data_dir=data)
    assert out.returncode == 0, out.stderr
    assert "excluded 1)" in out.stdout
    out = run_cli("map", "web", "--exclude", "x/", "--no-exclude", data_dir=data)
    assert out.returncode == 2
    assert out.stderr.strip() == "error: give --exclude patterns or --no-exclude, not both"
    assert Workbench(data).snapshot("web").stats["exclude"] == ["src/lib/"]


PATTERN_SETS = [
    DEFAULT_EXCLUDES,
    ("vendor/", "!keep/vendor/", "/build/", "docs/**/*.txt", "[ab]?.py", "*.gen.*", "!*.gen.keep"),
    ("**/fixtures/", "!tests/fixtures/keep.json", "a/**/b", "\\#literal", "name with space.py"),
]
PATHS = ["src/app.py", "vendor/x.js", "a/vendor/b/c.py", "keep/vendor/lib.py", "build/out.py",
         "src/build/out.py", "docs/a/b/c.txt", "docs/c.txt", "docs/c.md", "ab.py", "a1.py",
         "x/b2.py", "abc.py", "m.gen.py", "m.gen.keep", "./vendor/y.py", "/build/z.py",
         "tests/fixtures/keep.json", "tests/fixtures/other.json", "a/x/y/b", "a/b/c",
         "#literal", "name with space.py", "vendors/thing.py", "x/node_modules/y/z.js",
         "lib/jquery.min.js", "lib/jquery.min.js.map", "caf\u00e9/vendor/x.py"]


@pytest.mark.parametrize("patterns", PATTERN_SETS, ids=["default", "mixed", "globstar"])
def test_exclusion_answers_are_pathspecs_gitignore_answers(patterns):
    """The joined expression that rules most paths out at once never changes a verdict:
    every path gets what pathspec's GitIgnoreSpec says, pattern by pattern."""
    import pathspec

    from workbench.mapping.excludes import _any_match

    assert _any_match(tuple(patterns)) is not None  # the fast path is taken for these
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    excluder = Excluder(patterns)
    for path in PATHS:
        result = spec.check_file(path)
        expected = f"excluded by {patterns[result.index]!r}" if result.include else None
        assert excluder.reason(path) == expected, path
