from workbench.mapping.languages import parse_source

from lang_helpers import Repo, defs, imports, line_counts, src

SERVICE_TS = """
    import { a, b as c } from './util';
    import * as path from "path";
    import Default from '@scope/pkg/sub';
    import './side-effect';
    export { x } from './x';
    export * from '../lib';
    const fs = require('fs');
    // line comment
    export class Service extends Base implements IService, Other {
      private n = 0;
      constructor(n: number) { super(); this.n = n; }
      run(x: number): number {
        if (x > 1 && x < 10 || x === 0) { return x ? 1 : 2; }
        for (const i of [1]) {}
        switch (x) { case 1: break; default: break; }
        try { foo(); } catch (e) { bar.baz(e); }
        return x ?? 0;
      }
    }
    export interface IService extends A, B { run(x: number): number; }
    enum Color { Red }
    type Alias = string;

    export function helper(): void { while (true) {} }
    export const arrow = (y: number) => y + 1;
    abstract class Abs {}
    const lazy = import('./lazy');
"""


def test_typescript_facts():
    facts = parse_source("typescript", src(SERVICE_TS))
    assert facts.problem is None
    assert defs(facts) == [
        ("class", "Service", "", 9, 19, ("Base", "IService", "Other"), None),
        ("method", "Service.constructor", "Service", 11, 11, (), 1),
        # 1 + if + && + || + ternary + for + case (not default) + catch + ??
        ("method", "Service.run", "Service", 12, 18, (), 9),
        ("interface", "IService", "", 20, 20, ("A", "B"), None),
        ("enum", "Color", "", 21, 21, (), None),
        ("type", "Alias", "", 22, 22, (), None),
        ("function", "helper", "", 24, 24, (), 2),
        ("function", "arrow", "", 25, 25, (), 1),
        ("class", "Abs", "", 26, 26, (), None),
    ]
    assert imports(facts) == [
        ("./util", 1, ("a", "b"), "import"),
        ("path", 2, ("*",), "import"),
        ("@scope/pkg/sub", 3, ("default",), "import"),
        ("./side-effect", 4, (), "import"),
        ("./x", 5, ("x",), "export"),
        ("../lib", 6, ("*",), "export"),
        ("fs", 7, ("*",), "require"),
        ("./lazy", 27, (), "dynamic_import"),
    ]
    assert [(c.caller, c.callee, c.line) for c in facts.calls] == [
        ("Service.constructor", "super", 11),
        ("Service.run", "foo", 16),
        ("Service.run", "bar.baz", 16),
    ]
    assert line_counts(facts) == (27, 25, 1, 1)


def test_javascript_and_jsx():
    facts = parse_source("javascript", src("""
        const { join } = require("node:path");
        class Widget extends React.Component {
          render() { return this.props.ok ? 1 : 0; }
        }
        const obj = { method() { return 1; } };
        function* gen() { yield 1; }
        module.exports = { Widget };
    """))
    assert defs(facts) == [
        ("class", "Widget", "", 2, 4, ("React.Component",), None),
        ("method", "Widget.render", "Widget", 3, 3, (), 2),
        ("method", "obj.method", "obj", 5, 5, (), 1),
        ("function", "gen", "", 6, 6, (), 1),
    ]
    assert imports(facts) == [("node:path", 1, ("join",), "require")]
    assert facts.extra["exports"] == {"Widget": "Widget"}
    tsx = parse_source("tsx", src("""
        import React from 'react';
        export const App = () => <div className="x">{ok && <span/>}</div>;
    """))
    assert tsx.problem is None
    assert defs(tsx) == [("function", "App", "", 2, 2, (), 2)]


def test_javascript_resolution():
    repo = Repo({
        "web/src/service.ts": SERVICE_TS,
        "web/src/util.ts": "export const a = 1, b = 2;\n",
        "web/src/side-effect.js": "console.log(1);\n",
        "web/src/x/index.tsx": "export const x = 1;\n",
        "web/lib/index.js": "module.exports = {};\n",
        "web/src/esm.ts": "import { a } from './util.js';\nimport z from '../../../outside';\n",
    })
    assert repo.resolve("web/src/service.ts") == [
        ("./util", "web/src/util.ts", None),
        ("path", None, "path"),
        ("@scope/pkg/sub", None, "@scope/pkg"),
        ("./side-effect", "web/src/side-effect.js", None),
        ("./x", "web/src/x/index.tsx", None),
        ("../lib", "web/lib/index.js", None),
        ("fs", None, "fs"),
        ("./lazy", None, None),  # missing from the snapshot: neither internal nor external
    ]
    assert repo.resolve("web/src/esm.ts") == [
        ("./util.js", "web/src/util.ts", None),
        ("../../../outside", None, None),
    ]
