from workbench.mapping.languages import parse_source

from lang_helpers import Repo, defs, imports, line_counts, src

LIB_RS = """
    use std::collections::HashMap;
    use crate::config::{Config, load as ld};
    use super::util::*;
    use serde::{de::{self, Visitor}, Serialize};
    use shared_types::Id;
    mod parser;
    pub mod inline { pub fn f() {} }

    /// A thing.
    pub struct Thing<T> { x: T }
    pub enum Kind { A, B }
    pub trait Named: Clone + Debug { fn name(&self) -> String; }
    impl<T> Thing<T> {
        pub fn new(x: T) -> Self {
            if a && b || c { }
            match x { 1 => 0, _ => 1 };
            for i in 0..3 {} while let Some(x) = it.next() {}
            Self { x }
        }
    }
    impl Named for Thing<i32> { fn name(&self) -> String { helper(); String::new() } }
    fn main() { let c = |y| y + 1; loop { break; } }
"""


def test_rust_facts():
    facts = parse_source("rust", src(LIB_RS))
    assert facts.problem is None
    assert defs(facts) == [
        ("module", "inline", "", 7, 7, (), None),
        ("function", "inline.f", "inline", 7, 7, (), 1),
        # impl Named for Thing<i32> states the trait: reported as a base of Thing
        ("struct", "Thing", "", 10, 10, ("Named",), None),
        ("enum", "Kind", "", 11, 11, (), None),
        ("trait", "Named", "", 12, 12, ("Clone", "Debug"), None),
        ("method", "Named.name", "Named", 12, 12, (), 1),
        # 1 + if + && + || + match arm (not _) + for + while
        ("method", "Thing.new", "Thing", 14, 19, (), 7),
        ("method", "Thing.name", "Thing", 21, 21, (), 1),
        ("function", "main", "", 22, 22, (), 1),
    ]
    assert imports(facts) == [
        ("std::collections::HashMap", 1, (), "use"),
        ("crate::config", 2, ("Config", "load"), "use"),
        ("super::util", 3, ("*",), "use"),
        ("serde::de", 4, ("self", "Visitor"), "use"),
        ("serde", 4, ("Serialize",), "use"),
        ("shared_types::Id", 5, (), "use"),
        ("parser", 6, (), "mod"),
    ]
    assert [(c.caller, c.callee) for c in facts.calls] == [
        ("Thing.new", "it.next"), ("Thing.name", "helper"), ("Thing.name", "String::new"),
    ]
    assert line_counts(facts) == (22, 20, 1, 1)


def test_rust_resolution():
    repo = Repo({
        "Cargo.toml": '[package]\nname = "app"\nversion = "0.1.0"\n',
        "src/lib.rs": "mod engine;\nmod net;\n",
        "src/engine/mod.rs": LIB_RS,
        "src/engine/parser.rs": "pub fn parse() {}\n",
        "src/config.rs": "pub struct Config;\n",
        "src/util.rs": "pub fn u() {}\n",
        "src/net.rs": "mod tcp;\nuse self::tcp::Conn;\n",
        "src/net/tcp.rs": "pub struct Conn;\n",
        "crates/shared-types/Cargo.toml": '[package]\nname = "shared-types"\n',
        "crates/shared-types/src/lib.rs": "pub struct Id;\n",
    })
    assert repo.resolve("src/engine/mod.rs") == [
        ("std::collections::HashMap", None, "std"),
        ("crate::config", "src/config.rs", None),
        ("super::util", "src/util.rs", None),
        ("serde::de", None, "serde"),
        ("serde", None, "serde"),
        # a crate of the same workspace: its root file
        ("shared_types::Id", "crates/shared-types/src/lib.rs", None),
        ("parser", "src/engine/parser.rs", None),
    ]
    assert repo.resolve("src/lib.rs") == [
        ("engine", "src/engine/mod.rs", None),
        ("net", "src/net.rs", None),
    ]
    assert repo.resolve("src/net.rs") == [
        ("tcp", "src/net/tcp.rs", None),
        ("self::tcp::Conn", "src/net/tcp.rs", None),
    ]
