"""Bad input never raises: syntax errors, pathological nesting and binary noise."""

import random
import subprocess
import sys

import pytest

from workbench.mapping.facts import FileFacts
from workbench.mapping.languages import (
    PARSER_VERSION, SUPPORTED_LANGUAGES, language_for_path, parse_source,
)

from lang_helpers import defs, src

BROKEN = {
    "javascript": "function ok() { return 1; }\nfunction broken( {\n  return 2;\n",
    "typescript": "class A { m(): void {} }\nclass B { m(: void {\n",
    "tsx": "function ok() {}\nconst A = () => <div>;\n",
    "go": "package x\n\nfunc ok() {}\n\nfunc broken( {\n",
    "java": "class A { void ok() {} }\nclass B { void broken( { }\n",
    "kotlin": "fun ok() {}\nfun broken( {\n",
    "rust": "fn ok() {}\nfn broken( {\n",
    "c": "int ok(void) { return 0; }\nint broken( { \n",
    "cpp": "int ok() { return 0; }\nclass { int broken( };\n",
    "csharp": "class A { void Ok() {} }\nclass B { void Broken( { }\n",
    "ruby": "def ok\n  1\nend\ndef broken(\n",
    "php": "<?php\nfunction ok() {}\nfunction broken( {\n",
}

OPEN_CLOSE = {
    "javascript": ("x = ", "[", "]", ";"), "typescript": ("x = ", "[", "]", ";"),
    "tsx": ("x = ", "(", ")", ";"), "go": ("package x\nvar x = ", "(", ")", ""),
    "java": ("class A { int x = ", "(", ")", "; }"), "kotlin": ("val x = ", "(", ")", ""),
    "rust": ("fn f() { let x = ", "(", ")", "; }"), "c": ("int x = ", "(", ")", ";"),
    "cpp": ("int x = ", "(", ")", ";"), "csharp": ("class A { int x = ", "(", ")", "; }"),
    "ruby": ("x = ", "[", "]", ""), "php": ("<?php $x = ", "(", ")", ";"),
}


def test_registry():
    assert SUPPORTED_LANGUAGES == frozenset(BROKEN)
    assert isinstance(PARSER_VERSION, int)
    cases = {
        "a.js": "javascript", "a.mjs": "javascript", "a.cjs": "javascript", "A.JSX": "javascript",
        "a.ts": "typescript", "a.tsx": "tsx", "a.go": "go", "A.java": "java", "a.rs": "rust",
        "a.c": "c", "a.h": "c", "a.cc": "cpp", "a.cpp": "cpp", "a.cxx": "cpp", "a.hpp": "cpp",
        "a.hh": "cpp", "a.hxx": "cpp", "a.cs": "csharp", "a.rb": "ruby", "a.php": "php",
        "a.kt": "kotlin", "build.gradle.kts": "kotlin", "a.py": None, "Makefile": None,
        "dir.js/readme": None,
    }
    assert {p: language_for_path(p) for p in cases} == cases
    with pytest.raises(ValueError):
        parse_source("cobol", b"")


def test_grammars_load_lazily():
    code = (
        "import sys\n"
        "import workbench.mapping.languages as langs\n"
        "before = sorted(m for m in sys.modules if m.startswith('tree_sitter_') and '.' not in m)\n"
        "langs.parse_source('go', b'package x')\n"
        "after = sorted(m for m in sys.modules if m.startswith('tree_sitter_') and '.' not in m)\n"
        "print(before, after)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[] ['tree_sitter_go']"


@pytest.mark.parametrize("language", sorted(BROKEN))
def test_syntax_errors_give_partial_facts(language):
    facts = parse_source(language, BROKEN[language].encode())
    assert facts.problem is not None and facts.problem.startswith("syntax errors at line")
    assert len(facts.problem) < 80
    names = {d.name for d in facts.definitions}
    assert names & {"ok", "Ok", "A", "x"}, defs(facts)
    assert facts.lines == BROKEN[language].count("\n")


def test_syntax_error_lines_are_named():
    facts = parse_source("go", b"package x\n\nfunc ok() {}\n\nfunc broken( {\n")
    assert facts.problem == "syntax errors at line 5"
    assert [(d.name, d.line_start) for d in facts.definitions][0] == ("ok", 3)


@pytest.mark.parametrize("language", sorted(OPEN_CLOSE))
def test_deep_nesting_does_not_crash(language):
    head, opening, closing, tail = OPEN_CLOSE[language]
    data = (head + opening * 5000 + "1" + closing * 5000 + tail + "\n").encode()
    facts = parse_source(language, data)
    assert facts.lines == head.count("\n") + 1
    assert facts.code_lines == facts.lines


@pytest.mark.parametrize("language", sorted(SUPPORTED_LANGUAGES))
def test_random_bytes(language):
    rng = random.Random(language)
    data = bytes(rng.randrange(256) for _ in range(4000))
    facts = parse_source(language, data)
    assert isinstance(facts, FileFacts)
    assert facts.lines == data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    assert facts.code_lines + facts.comment_lines + facts.blank_lines == facts.lines
    FileFacts.from_json(facts.to_json())  # still serialisable


@pytest.mark.parametrize("language", sorted(SUPPORTED_LANGUAGES))
def test_empty_file(language):
    facts = parse_source(language, b"")
    assert facts == FileFacts(language=language)


def test_undecodable_names_survive():
    facts = parse_source("go", b"package x\n\nfunc caf\xe9() {}\n")
    assert facts.lines == 3
    assert FileFacts.from_json(facts.to_json()) == facts


def test_facts_round_trip_json():
    facts = parse_source("java", src("""
        package a.b;
        import c.D;
        class E extends F { void g() { if (x) { h(); } } }
    """))
    assert FileFacts.from_json(facts.to_json()) == facts


def test_comment_and_blank_lines():
    facts = parse_source("c", src("""
        /* a
         *
         * c */
        int x; // trailing comment keeps the line code

        // only comment
    """))
    # lines 1-3 and 6 hold only comment text; line 4 has code before its comment
    assert (facts.lines, facts.code_lines, facts.comment_lines, facts.blank_lines) == (6, 1, 4, 1)
