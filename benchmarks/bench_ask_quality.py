"""Ask quality on a real codebase: grounded answers and invented citations.

Every question of ``benchmarks/eval/ask_questions.toml`` is asked with ``wb.ask`` (a new
conversation each) on click 8.1.7's sdist, committed into a fresh repository by
``eval_corpus.py`` and mapped by the workbench. Providers: the extractive default (no model), and
with ``--base-url URL --model NAME`` any OpenAI-compatible server (llama.cpp server, Ollama, vLLM,
OpenAI), reached through the ``openai`` provider with ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``.

Per provider it reports:
  * grounded: answers with a citation in an expected file among their first three citations
    that the workbench marked valid;
  * answers citing an expected file anywhere among their valid citations;
  * citations, and those the workbench flagged (``Citation.valid`` False);
  * invented: citations checked here, independently, against the committed tree (the file
    exists at the mapped commit and ``1 <= line_start <= line_end <= its line count``);
  * invented shown as real: invented citations the workbench marked valid, or whose path the
    answer's text names with no warning after it (the goal is none);
  * false alarms: citations flagged although the file and lines exist.

The table is printed as Markdown; answers, citations and checks are written as JSON to
``data/bench/ask-quality-<package>-<version>.json``. A missing ``wb.ask`` stops the run.

    .venv/bin/python benchmarks/bench_ask_quality.py [--base-url URL --model NAME] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_BENCH_DIR, table  # noqa: E402
from eval_corpus import QUESTIONS, load_corpus, load_toml, prepare_repo  # noqa: E402


MARKER = re.compile(r"not in (the )?snapshot|invented|invalid|unverified|does not exist", re.I)


@dataclass
class Checked:
    path: str
    line_start: int | None
    line_end: int | None
    valid: bool
    exists: bool
    unmarked_in_text: bool = False
    """The answer's text names this citation with no warning just after it."""

    @property
    def shown_as_real(self) -> bool:
        return not self.exists and (self.valid or self.unmarked_in_text)


def unmarked_mention(text: str, path: str, line_start: int | None) -> bool:
    """Whether ``text`` names ``path:line_start`` (or ``path`` with no line) without a warning
    within 40 characters after it."""
    cited = path if line_start is None else f"{path}:{line_start}"
    for match in re.finditer(re.escape(cited) + r"(?![0-9])", text):
        if not MARKER.search(text[match.end():match.end() + 40]):
            return True
    return False


@dataclass
class Asked:
    id: str
    question: str
    expected: list[str]
    citations: list[Checked] = field(default_factory=list)
    text: str = ""
    seconds: float = 0.0
    extracted: bool | None = None

    @property
    def cites_expected(self) -> bool:
        return any(c.path in self.expected and c.exists and c.valid for c in self.citations)

    @property
    def grounded(self) -> bool:
        first = [c for c in self.citations if c.valid][:3]
        return any(c.path in self.expected and c.exists for c in first)


class TreeChecker:
    """Whether a cited file and line range exist in the committed tree (read once per file)."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self._lines: dict[str, int | None] = {}

    def line_count(self, path: str) -> int | None:
        if path not in self._lines:
            target = (self.repo / path).resolve()
            inside = target.is_relative_to(self.repo.resolve()) and ".git" not in Path(path).parts
            if inside and target.is_file():
                self._lines[path] = len(target.read_bytes().splitlines())
            else:
                self._lines[path] = None
        return self._lines[path]

    def exists(self, path: str, start: int | None, end: int | None) -> bool:
        count = self.line_count(path) if path else None
        if count is None:
            return False
        if start is None:
            return True
        end = start if end is None else end
        return 1 <= start <= end <= max(count, 1)


def require_ask_api(wb) -> None:
    if not callable(getattr(wb, "ask", None)):
        raise SystemExit("error: this workbench has no wb.ask; the ask quality benchmark needs "
                         "the ask feature")


def ask_all(wb, project: str, questions: list[dict], checker: TreeChecker,
            provider: str | None, model: str | None) -> list[Asked]:
    results = []
    for q in questions:
        asked = Asked(q["id"], q["question"], list(q["files"]))
        started = time.perf_counter()
        answer = wb.ask(q["question"], project, provider=provider, model=model)
        asked.seconds = time.perf_counter() - started
        asked.text = answer.text
        asked.extracted = getattr(answer, "extracted", None)
        for c in answer.citations:
            asked.citations.append(Checked(
                c.path, c.line_start, c.line_end, bool(c.valid),
                checker.exists(c.path, c.line_start, c.line_end)))
            if not asked.citations[-1].exists:
                asked.citations[-1].unmarked_in_text = unmarked_mention(
                    answer.text, c.path, c.line_start)
        results.append(asked)
        verdict = "grounded" if asked.grounded else "not grounded"
        print(f"{provider or 'default'} {q['id']}: {verdict} ({len(asked.citations)} citations, "
              f"{asked.seconds:.1f} s)", file=sys.stderr)
    return results


def summary_row(label: str, results: list[Asked]) -> list:
    citations = [c for r in results for c in r.citations]
    grounded = sum(r.grounded for r in results)
    anywhere = sum(r.cites_expected for r in results)
    return [label, len(results), f"{grounded} ({grounded / len(results):.0%})",
            f"{anywhere} ({anywhere / len(results):.0%})",
            len(citations), sum(not c.valid for c in citations),
            sum(not c.exists for c in citations), sum(c.shown_as_real for c in citations),
            sum(c.exists and not c.valid for c in citations),
            sum(1 for r in results if not r.citations),
            f"{statistics.median(r.seconds for r in results):.2f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url",
                        help="an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--model", help="the model to ask on that server")
    parser.add_argument("--api-key-env", default="OPENAI_API_KEY",
                        help="variable holding the server's key (default OPENAI_API_KEY; a "
                             "placeholder is used when it is unset)")
    parser.add_argument("--no-extractive", action="store_true",
                        help="skip the extractive default (only with --base-url)")
    parser.add_argument("--limit", type=int, help="ask only the first N questions")
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    args = parser.parse_args()
    if bool(args.base_url) != bool(args.model):
        parser.error("--base-url and --model go together")
    if args.no_extractive and not args.base_url:
        parser.error("--no-extractive needs --base-url")

    if args.base_url:  # read by the openai provider, as by the openai client itself
        os.environ["OPENAI_BASE_URL"] = args.base_url
        os.environ.setdefault("OPENAI_API_KEY", os.environ.get(args.api_key_env) or "unused")

    from workbench import Workbench

    corpus = load_corpus(QUESTIONS)
    questions = load_toml(QUESTIONS)["question"][: args.limit]
    repo = prepare_repo(corpus, args.bench_dir)
    project = f"eval-{corpus.label}"
    wb = Workbench(args.bench_dir / f"eval-{corpus.label}-workbench", background=False)
    require_ask_api(wb)
    wb.map(str(repo), name=project)
    if callable(getattr(wb, "index", None)):
        wb.index(project, wait=True)
    checker = TreeChecker(repo)

    runs: list[tuple[str, list[Asked]]] = []
    if not args.no_extractive:
        runs.append(("extractive", ask_all(wb, project, questions, checker, "extractive", None)))
    if args.base_url:
        runs.append((f"openai: {args.model}",
                     ask_all(wb, project, questions, checker, "openai", args.model)))

    headers = ["provider", "questions", "grounded (expected file in first 3 citations)",
               "expected file cited anywhere",
               "citations", "flagged invalid", "invented (checked here)", "invented shown as real",
               "false alarms", "answers without citations", "median s"]
    print(f"\n{corpus.label}: {len(questions)} questions\n")
    print(table(headers, [summary_row(label, results) for label, results in runs]))
    for label, results in runs:
        missed = [r for r in results if not r.grounded]
        if missed:
            cited = {r.id: ", ".join(sorted({c.path for c in r.citations[:3]})) or "nothing"
                     for r in missed}
            print(f"\n{label}: not grounded — "
                  + "; ".join(f"{r.id} (cited {cited[r.id]})" for r in missed))

    out = args.bench_dir / f"ask-quality-{corpus.label}.json"
    out.write_text(json.dumps({
        "corpus": corpus.label,
        "summary": [dict(zip(headers, summary_row(label, results))) for label, results in runs],
        "runs": [{"provider": label, "answers": [
            {"id": r.id, "question": r.question, "expected": r.expected, "grounded": r.grounded,
             "seconds": r.seconds, "extracted": r.extracted, "text": r.text,
             "citations": [{**c.__dict__, "shown_as_real": c.shown_as_real} for c in r.citations]}
            for r in results]} for label, results in runs],
    }, indent=2, default=str))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
