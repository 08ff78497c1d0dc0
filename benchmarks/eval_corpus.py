"""The evaluation corpus: a PyPI sdist committed into a fresh git repository in a few commits.

The package and version come from the ``[corpus]`` table of a labelled set in
``benchmarks/eval/`` (``search_queries.toml`` and ``ask_questions.toml`` name click 8.1.7,
``search_queries_rich.toml`` rich 13.7.1). The sdist is downloaded once into ``data/bench/`` (the only network
use, by the benchmark scripts, never by tests) and unpacked; its tree is then committed into
``data/bench/eval-<package>-<version>/`` in the steps of ``STEPS``: each commit adds a part of the
tree with a message worth searching ("Add shell completion for bash, zsh and fish"), and the last
commit leaves the working tree equal to the sdist, so every labelled path exists at HEAD. The
steps are click's; another package is committed whole, in one commit.

    repo = prepare_repo(load_corpus())      # Path of the git repository (built once, cached)
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from _common import DEFAULT_BENCH_DIR, fetch_sdist, git

EVAL_DIR = Path(__file__).resolve().parent / "eval"
QUERIES = EVAL_DIR / "search_queries.toml"
QUESTIONS = EVAL_DIR / "ask_questions.toml"

# (commit message, path globs relative to the sdist root). A path goes in the first step whose
# glob matches it; whatever no step names goes in the last commit.
STEPS: list[tuple[str, list[str]]] = [
    ("Project skeleton: README, licence and packaging metadata",
     ["README.rst", "LICENSE.rst", "MANIFEST.in", "setup.cfg", "setup.py", "PKG-INFO",
      "src/*.egg-info/*", "requirements/*", "artwork/*", "tox.ini", "src/click/py.typed"]),
    ("Core of the command line toolkit: contexts, commands, groups, parameters and the "
     "option parser",
     ["src/click/__init__.py", "src/click/core.py", "src/click/parser.py",
      "src/click/decorators.py", "src/click/globals.py", "src/click/exceptions.py"]),
    ("Parameter types: choices, numeric ranges, dates, UUIDs, files and paths",
     ["src/click/types.py"]),
    ("Help page formatting: usage line, definition lists and text wrapping",
     ["src/click/formatting.py", "src/click/_textwrap.py"]),
    ("Stream and encoding helpers: echo, lazy and atomic files, Windows console support",
     ["src/click/utils.py", "src/click/_compat.py", "src/click/_winconsole.py"]),
    ("Terminal UI: prompts, confirmations, colours, pager, editor and progress bar",
     ["src/click/termui.py", "src/click/_termui_impl.py"]),
    ("Add shell completion for bash, zsh and fish",
     ["src/click/shell_completion.py", "docs/shell-completion.rst",
      "tests/test_shell_completion.py"]),
    ("Add CliRunner to invoke commands in isolation from tests",
     ["src/click/testing.py", "docs/testing.rst", "tests/test_testing.py"]),
    ("Test suite for options, arguments, commands and parameter types", ["tests/*"]),
    ("Documentation and examples", ["docs/*", "examples/*", "CHANGES.rst"]),
]


def steps_for(package: str) -> list[tuple[str, list[str]]]:
    """The commits a corpus is built in: :data:`STEPS` for click, one commit for another."""
    return STEPS if package == "click" else [(f"Add {package}", ["*"])]


@dataclass(frozen=True)
class Corpus:
    package: str
    version: str

    @property
    def label(self) -> str:
        return f"{self.package}-{self.version}"


def load_toml(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def load_corpus(path: Path = QUERIES) -> Corpus:
    """The ``[corpus]`` of an evaluation file (``package``, ``version``)."""
    corpus = load_toml(path)["corpus"]
    return Corpus(corpus["package"], corpus["version"])


def sdist_files(root: Path) -> list[str]:
    """Every regular file of an unpacked sdist, as POSIX paths relative to its root."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not p.is_symlink())


def plan_commits(files: list[str], package: str = "click") -> list[tuple[str, list[str]]]:
    """Assign each file to the first step whose glob matches; the rest to the last step."""
    plan = steps_for(package)
    steps = [(message, []) for message, _ in plan]
    for rel in files:
        for index, (_, globs) in enumerate(plan):
            if any(fnmatch(rel, pattern) for pattern in globs):
                steps[index][1].append(rel)
                break
        else:
            steps[-1][1].append(rel)
    return [(message, chosen) for message, chosen in steps if chosen]


def check_labels(source: Path, queries_path: Path = QUERIES) -> None:
    """Stop unless every labelled file exists in the unpacked sdist and every identifier query
    names something in its files: scores against wrong labels would mean nothing. The ask
    questions are checked too when they label the same corpus."""
    files = set(sdist_files(source))
    queries = load_toml(queries_path).get("query", [])
    questions = (load_toml(QUESTIONS).get("question", [])
                 if load_corpus(queries_path) == load_corpus(QUESTIONS) else [])
    problems = [f"{q['id']}: {f} is not in the sdist"
                for q in [*queries, *questions] for f in q["files"] if f not in files]
    for q in queries:
        name = q["query"].split(".")[-1].lower()
        problems += [f"{q['id']}: {name!r} does not occur in {f}" for f in q["files"]
                     if f in files and name not in (source / f).read_text(errors="replace").lower()
                     and q["type"] == "identifier"]
    if problems:
        raise SystemExit("error: the evaluation labels do not match the sdist:\n  "
                         + "\n  ".join(problems))


def prepare_repo(corpus: Corpus, bench_dir: Path = DEFAULT_BENCH_DIR,
                 queries_path: Path = QUERIES) -> Path:
    """The corpus repository, built on first use (downloads the sdist once); returns its path.

    Its labels (``queries_path``) are checked against the sdist first (:func:`check_labels`)."""
    source = fetch_sdist(corpus.package, corpus.version, bench_dir)
    check_labels(source, queries_path)
    repo = bench_dir / f"eval-{corpus.label}"
    if (repo / ".git").is_dir() and git(repo, "status", "--porcelain") == "":
        return repo
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for index, (message, files) in enumerate(plan_commits(sdist_files(source), corpus.package)):
        for rel in files:
            target = repo / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / rel, target)
        git(repo, "add", "-A", "--force", ".")
        date = f"2024-01-{index + 1:02d}T12:00:00+00:00"
        git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message,
            f"--date={date}")
    return repo
