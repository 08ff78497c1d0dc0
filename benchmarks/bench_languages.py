"""Time :func:`parse_source` on a generated corpus of mixed-language files.

Each file is built from a per-language template repeated with varying names, so files have
realistic shapes (imports, types, methods with branches, comments) and sizes of roughly
40-400 lines. Prints files/s and KiB/s per language, the median of ``--runs`` runs.

    PYTHONPATH=. python benchmarks/bench_languages.py [--files 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from workbench.mapping.languages import SUPPORTED_LANGUAGES, parse_source

# {n} is a unit number; each template is one "unit" of code, repeated to size the file
_HEADERS = {
    "javascript": "import {{ a{n} }} from './mod{n}';\nconst fs = require('fs');\n",
    "typescript": "import {{ a{n} }} from './mod{n}';\nimport * as path from 'path';\n",
    "tsx": "import React from 'react';\nimport {{ a{n} }} from './mod{n}';\n",
    "go": 'package pkg{n}\n\nimport (\n\t"fmt"\n\t"example.com/app/pkg{n}"\n)\n',
    "java": "package com.acme.p{n};\n\nimport java.util.List;\nimport com.acme.q{n}.Thing;\n",
    "kotlin": "package com.acme.p{n}\n\nimport com.acme.q{n}.Thing\n",
    "rust": "use std::collections::HashMap;\nuse crate::m{n}::{{A, B}};\nmod m{n};\n",
    "c": '#include <stdio.h>\n#include "m{n}.h"\n',
    "cpp": '#include <vector>\n#include "m{n}.hpp"\n',
    "csharp": "using System;\nusing Acme.M{n};\n\nnamespace Acme.P{n};\n",
    "ruby": "require 'json'\nrequire_relative 'm{n}'\n",
    "php": "<?php\nnamespace App\\P{n};\n\nuse App\\M{n}\\Thing;\nrequire_once __DIR__ . '/m{n}.php';\n",
}

_UNITS = {
    "javascript": """
// Unit {n}.
export class C{n} extends Base {{
  run(x) {{
    if (x > {n} && x < 100 || x === 0) {{ return x ? 1 : 2; }}
    for (const i of this.items) {{ this.log(i); }}
    switch (x) {{ case 1: return 1; default: return 0; }}
  }}
}}
export const f{n} = (y) => y + {n};
""",
    "typescript": """
/** Unit {n}. */
export class C{n} extends Base implements I{n} {{
  private n: number = {n};
  run(x: number): number {{
    if (x > {n} && x < 100 || x === 0) {{ return x ? 1 : 2; }}
    for (const i of this.items) {{ this.log(i); }}
    try {{ this.go(); }} catch (e) {{ console.error(e); }}
    return x ?? 0;
  }}
}}
export interface I{n} {{ run(x: number): number; }}
""",
    "tsx": """
// Unit {n}.
export function Comp{n}(props: {{ ok: boolean }}) {{
  if (props.ok && {n} > 1) {{ return <div className="c{n}">{{props.ok ? 'a' : 'b'}}</div>; }}
  return <span>{{[1, 2].map((i) => <b key={{i}}>{{i}}</b>)}}</span>;
}}
""",
    "go": """
// T{n} is unit {n}.
type T{n} struct {{
	Base
	name string
}}

func (t *T{n}) Run(x int) error {{
	if x > {n} && x < 100 {{
		return nil
	}}
	for i := 0; i < x; i++ {{
		fmt.Println(t.name, i)
	}}
	switch x {{
	case 1:
	default:
	}}
	return nil
}}
""",
    "java": """
/** Unit {n}. */
class C{n} extends Base implements Runnable {{
    private int n = {n};
    public void run() {{
        if (n > 0 && n < 100 || n == 5) {{ helper(n); }}
        for (int i = 0; i < n; i++) {{ System.out.println(i); }}
        try {{ go(); }} catch (Exception e) {{ log(e); }}
    }}
}}
""",
    "kotlin": """
/* Unit {n}. */
class C{n}(val x: Int) : Base(), Runnable {{
    override fun run() {{
        if (x > {n} && x < 100) println("a") else println("b")
        for (i in 0..x) {{ println(i) }}
        val y = when (x) {{
            1 -> "one"
            else -> "other"
        }}
    }}
}}
""",
    "rust": """
/// Unit {n}.
pub struct S{n} {{ x: i32 }}
impl S{n} {{
    pub fn run(&self, y: i32) -> i32 {{
        if self.x > {n} && y < 100 {{ return 1; }}
        for i in 0..y {{ println!("{{}}", i); }}
        match y {{ 1 => 0, _ => helper(y) }}
    }}
}}
""",
    "c": """
/* Unit {n}. */
struct s{n} {{ int v; }};
static int f{n}(struct s{n} *p, int k) {{
    while (p && k) {{ if (k > {n} || k < 0) return 0; k--; }}
    switch (k) {{ case 1: return 1; default: break; }}
    return k ? printf("%d", p->v) : 0;
}}
""",
    "cpp": """
// Unit {n}.
class W{n} : public Base {{
public:
    int size() const {{ return n > {n} && m ? n : 0; }}
    void draw(int x);
private:
    int n, m;
}};
void W{n}::draw(int x) {{
    for (auto v : items) {{ render(v); }}
    try {{ run(x); }} catch (const std::exception& e) {{}}
}}
""",
    "csharp": """
// Unit {n}.
public class S{n} : Base, IService
{{
    public int Run(int x)
    {{
        if (x > {n} && x < 100 || x == 3) return 1;
        foreach (var i in list) {{ Log(i); }}
        return x > 1 ? x : x ?? 0;
    }}
}}
""",
    "ruby": """
# Unit {n}.
class C{n} < Base
  def run(y)
    if y > {n} && y < 100
      puts "a"
    elsif y
      nil
    end
    y.each {{ |i| log(i) }}
  end
end
""",
    "php": """
// Unit {n}.
class C{n} extends Base implements Runner
{{
    public function run($x): int
    {{
        if ($x > {n} && $x < 100) {{ return 1; }}
        foreach ($this->items as $i) {{ $this->log($i); }}
        return $x ? 1 : ($x ?? 2);
    }}
}}
""",
}


def build_corpus(files: int, seed: int = 7) -> list[tuple[str, bytes]]:
    """``files`` (language, source) pairs, spread evenly over the supported languages."""
    rng = random.Random(seed)
    languages = sorted(SUPPORTED_LANGUAGES)
    corpus = []
    for i in range(files):
        language = languages[i % len(languages)]
        units = rng.randint(3, 30)
        body = "".join(_UNITS[language].format(n=i * 100 + u) for u in range(units))
        corpus.append((language, (_HEADERS[language].format(n=i) + body).encode()))
    return corpus


def run_once(corpus: list[tuple[str, bytes]]) -> dict[str, float]:
    """Seconds spent per language parsing the corpus once."""
    spent: dict[str, float] = {}
    for language, data in corpus:
        start = time.perf_counter()
        parse_source(language, data)
        spent[language] = spent.get(language, 0.0) + time.perf_counter() - start
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    corpus = build_corpus(args.files)
    counts: dict[str, int] = {}
    sizes: dict[str, int] = {}
    lines: dict[str, int] = {}
    for language, data in corpus:
        counts[language] = counts.get(language, 0) + 1
        sizes[language] = sizes.get(language, 0) + len(data)
        lines[language] = lines.get(language, 0) + data.count(b"\n")
    for language in counts:  # load every grammar before timing
        parse_source(language, b"")

    runs = [run_once(corpus) for _ in range(args.runs)]
    print(f"{len(corpus)} files, {sum(sizes.values()) / 1024:.0f} KiB, "
          f"median of {args.runs} runs")
    print(f"{'language':<12}{'files':>7}{'lines':>9}{'files/s':>10}{'KiB/s':>9}{'lines/s':>10}")
    total_time = 0.0
    for language in sorted(counts):
        seconds = statistics.median(run[language] for run in runs)
        total_time += seconds
        print(f"{language:<12}{counts[language]:>7}{lines[language]:>9}"
              f"{counts[language] / seconds:>10.0f}{sizes[language] / 1024 / seconds:>9.0f}"
              f"{lines[language] / seconds:>10.0f}")
    print(f"{'all':<12}{len(corpus):>7}{sum(lines.values()):>9}"
          f"{len(corpus) / total_time:>10.0f}{sum(sizes.values()) / 1024 / total_time:>9.0f}"
          f"{sum(lines.values()) / total_time:>10.0f}")


if __name__ == "__main__":
    main()
