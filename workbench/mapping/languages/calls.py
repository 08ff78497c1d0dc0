"""Static call resolution for the tree-sitter languages: a call site to the definitions it
certainly reaches, or counted as unresolved (or as a call to the runtime), never guessed.

A callee is read as written (``helper``, ``this.render``, ``utils.compileETag``,
``pkg.Func``, ``Widget::draw``; ``new X`` is a call of ``X``) and resolved by, in order:

1. **self**: ``this.m`` / ``self.m`` / ``$this->m`` / ``Self::m`` is ``m`` of the scope that
   owns the caller (the class, the object literal or prototype the method was assigned to),
   or of a base class of it that the map resolved;
2. **scope**: the name, or the dotted path, defined in the caller, its enclosing scopes or
   the file (``app.init`` defined as ``app.init = function ...`` in the same file). A bare
   name reaches a method only where the language calls methods without ``this`` (Java,
   Kotlin, C#, C++, Ruby);
3. **imports**: a name bound by an import: JavaScript ``require`` / ``import`` bindings
   followed through the other file's exports (``module.exports = {...}``, ``exports.f``,
   ``module.exports = app`` with ``app.use = ...``, ESM ``export``, ``export ... from``);
   a Go package name to the package's top-level functions; a Java / Kotlin imported class
   (or statically imported member, or Kotlin top-level function) to its file; a Rust ``use``
   / ``mod`` of a module or of a name in one;
4. **package**: Go functions of other files of the same package (directory); a class name
   that names exactly one class of the language in the map (``Helper.run()``; a
   constructor call ``new Helper()`` / Ruby ``Helper.new`` reaches the class; the rule
   inheritance uses); C and C++ functions defined exactly once in the map (what the linker
   would join).

A name defined more than once in a scope (Java, Kotlin, C#, C++ overloads) resolves to every
overload: which one is called depends on argument types the facts do not hold. Calls through
the runtime's globals (JavaScript ``console``, ``JSON``, ``Object``...; Go's ``len``,
``append``...) and through names bound to the standard library (``fs.readFileSync`` after
``require('node:fs')`` or ``import fs from 'fs'``, Go's ``fmt.Println``, a Java / Kotlin
``import java.util.List``, Rust's ``use std::fs``, or such a path written in full:
``std::fs::read``, ``java.util.Objects.hash``) are counted as builtin; every other call (a method of an object whose type
needs inference, a call into an external package) is counted as unresolved.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..facts import FileFacts, ImportRef
from .resolve import Resolution
from .runtimes import GO_BUILTINS, JAVASCRIPT_GLOBALS, is_standard_library, node_builtin
from .spec import CLASS_KINDS

_JS = frozenset({"javascript", "typescript", "tsx"})
_JVM = frozenset({"java", "kotlin"})
_C = frozenset({"c", "cpp"})
#: Languages where a bare name inside a class reaches the class's methods (implicit ``this``).
_IMPLICIT_SELF = frozenset({"java", "kotlin", "csharp", "cpp", "ruby"})
_SELF = frozenset({"this", "self", "$this", "Self", "static", "base", "super"})
_SIMPLE = re.compile(r"^#?[A-Za-z_$][\w$]*(?:\.#?[A-Za-z_$][\w$]*)*$")  # #x: JS private
_GENERIC_ARGS = re.compile(r"<[^<>()]*>")
#: How many ``export ... from`` / base class hops a name is followed through.
_MAX_HOPS = 8

_Target = tuple[str, str]  # (path, qualname)
#: First segments of a standard library path written in full at a call.
_STANDARD_PATHS = {"rust": frozenset({"std", "core", "alloc"}),
                   "java": frozenset({"java", "javax"}), "kotlin": frozenset({"java", "javax", "kotlin"})}


def normalise_callee(callee: str) -> str | None:
    """A callee as a dotted path (``a.b.c``), or None when it is not a plain name path."""
    value = callee.removeprefix("new ").strip()
    value = value.replace("?.", ".").replace("::", ".").replace("->", ".").replace("!!", "")
    previous = None
    while previous != value:
        previous, value = value, _GENERIC_ARGS.sub("", value)
    value = value.lstrip(".")
    if value.startswith("$") and value != "$this" and not value.startswith("$this."):
        return None  # a PHP variable holding a callable
    return value if _SIMPLE.match(value) else None


@dataclass(frozen=True)
class _Binding:
    files: tuple[str, ...]
    member: str  # JS: imported name ("*": whole module); JVM: dotted rest after the file
    external: bool = False
    stdlib: bool = False  # external, and the language's standard library


class _FileScope:
    """The definitions of one file indexed by (owner qualname, name)."""

    def __init__(self, path: str, facts: FileFacts) -> None:
        self.path = path
        self.facts = facts
        self.by_scope: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.kind: dict[str, str] = {}
        self.bases: dict[str, tuple[str, ...]] = {}
        for d in facts.definitions:
            self.by_scope[(d.parent, d.name)].append(d.qualname)
            self.kind[d.qualname] = d.kind
            if d.bases:
                self.bases[d.qualname] = d.bases
        for alias, target in (facts.extra or {}).get("aliases", {}).items():
            owner, _, name = alias.rpartition(".")
            self.by_scope[(owner, name)].extend(
                self.by_scope.get((_owner_of(target), target.rpartition(".")[2]), ()))
        self.exports: dict[str, str] = (facts.extra or {}).get("exports", {})
        self.bindings: dict[str, _Binding] = {}

    def find(self, owner: str, name: str) -> list[str]:
        return self.by_scope.get((owner, name), [])

    def find_path(self, owner: str, parts: list[str]) -> list[str]:
        """Definitions at ``owner.parts[:-1]`` named ``parts[-1]`` (a path of written names)."""
        inner = ".".join(p for p in (owner, *parts[:-1]) if p)
        return self.find(inner, parts[-1])


def _enclosing(qualname: str) -> Iterable[str]:
    """``a.b.c`` -> ``a.b.c``, ``a.b``, ``a``, ``""`` (the scopes a name is looked up in)."""
    while qualname:
        yield qualname
        qualname = _owner_of(qualname)
    yield ""


def _owner_of(qualname: str) -> str:
    # the dot before the last segment, ignoring dots inside an overload's parameter types
    depth = 0
    for i in range(len(qualname) - 1, -1, -1):
        ch = qualname[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
        elif ch == "." and depth == 0:
            return qualname[:i]
    return ""


class CallLinker:
    """Resolves the calls of the tree-sitter files of one snapshot (see the module docstring).

    ``files``: (path, language, facts) of every parsed file; ``resolutions``: path -> the
    (import, resolution) pairs the import pass produced for that file.
    """

    def __init__(self, files: list[tuple[str, str, FileFacts]],
                 resolutions: dict[str, list[tuple[ImportRef, Resolution]]]) -> None:
        self.scopes = {path: _FileScope(path, facts) for path, _, facts in files}
        self.language = {path: language for path, language, _ in files}
        self.classes: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        self.functions: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        self.go_packages: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._go_index: dict[tuple[str, str], dict[tuple[str, str], list[_Target]]] = {}
        for path, language, facts in files:
            family = _family(language)
            for d in facts.definitions:
                if d.kind in CLASS_KINDS and d.kind != "module":
                    self.classes[(family, d.name)].append((path, d.qualname))
                elif not d.parent and d.kind == "function":
                    self.functions[(family, d.name)].append((path, d.qualname))
            if language == "go":
                package = (facts.extra or {}).get("package")
                self.go_packages[(posixpath.dirname(path), package)].append(path)
        self._reexports = {
            path: [(ref, res.files or ((res.internal,) if res.internal else ()))
                   for ref, res in pairs if ref.kind == "export"]
            for path, pairs in resolutions.items() if self.language.get(path) in _JS
        }
        for path, pairs in resolutions.items():
            self._bind(path, pairs)

    # ------------------------------------------------------------------------ bindings

    def _bind(self, path: str, pairs: list[tuple[ImportRef, Resolution]]) -> None:
        scope = self.scopes[path]
        language = self.language[path]
        for ref, res in pairs:
            files = res.files or ((res.internal,) if res.internal else ())
            external = not files and res.external is not None
            if not files and not external:
                continue
            stdlib = external and (node_builtin(ref.target) is not None if language in _JS
                                   else is_standard_library(language, ref.kind, res.external))
            if language in _JS:
                if ref.kind == "export":
                    continue
                for name, alias in zip(ref.names, ref.aliases):
                    if alias:
                        scope.bindings[alias] = _Binding(files, name, external, stdlib)
            elif language == "go":
                alias = ref.names[0] if ref.names else ""
                if alias in ("_", "."):
                    continue
                if not alias:
                    declared = [self.scopes[f].facts.extra.get("package") for f in files
                                if f in self.scopes]
                    alias = next((p for p in declared if p), ref.target.rsplit("/", 1)[-1])
                scope.bindings[alias] = _Binding(files, "", external, stdlib)
            elif language == "rust" and stdlib:  # use std::fs; use std::collections::HashMap;
                for name in ref.names or ("self",):
                    name = ref.target.split("::")[-1] if name == "self" else name
                    if name and name != "*":
                        scope.bindings[name] = _Binding((), name, True, True)
            elif language in _JVM and stdlib and "*" not in ref.names:  # import java.util.List;
                scope.bindings[ref.target.split(".")[-1]] = _Binding((), "", True, True)
            elif language == "rust" and files:
                stems = {_module_stem(f) for f in files}
                for name in ref.names or (ref.target.split("::")[-1],):
                    # a module (use crate::util; mod util;) or a name inside one
                    scope.bindings[name] = _Binding(files, "" if name in stems else name)
            elif language in _JVM and "*" not in ref.names and files:
                segments = ref.target.split(".")
                member = segments[-1]  # a Kotlin top-level function: a name in its file
                for k in range(len(segments) - 1, 0, -1):
                    # the file named by the longest prefix; what follows is inside it
                    if any(posixpath.splitext(posixpath.basename(f))[0] == segments[k - 1]
                           for f in files):
                        member = ".".join(segments[k - 1:])
                        break
                scope.bindings[segments[-1]] = _Binding(files, member)

    # ------------------------------------------------------------------------ resolving

    def resolve(self, path: str, caller: str, callee: str) -> list[str] | str | None:
        """Node ids the call reaches, ``"builtin"`` for the runtime's, or None (unresolved)."""
        written = normalise_callee(callee)
        if written is None:
            return None
        parts = written.split(".")
        scope = self.scopes[path]
        language = self.language[path]
        if language in _JS and parts[0] in ("module", "exports"):
            # exports.f() / module.exports.f() inside the module: its own top-level f
            rest = parts[2:] if parts[:2] == ["module", "exports"] else (
                parts[1:] if parts[0] == "exports" else None)
            if rest is not None:
                found = self._js_names(scope, "*", rest) if rest else []
                return [f"{path}:{q}" for q in found] or None
        head = parts[0]
        if head in _SELF and len(parts) >= 2:
            return _ids(self._on_self(scope, caller, parts[1:])) or None
        bare_methods = language in _IMPLICIT_SELF
        for owner in _enclosing(caller):
            found = scope.find_path(owner, parts)
            if not bare_methods and len(parts) == 1:
                # JS, Go, Rust, PHP: a method is reached through its object, never by its name
                found = [q for q in found if scope.kind.get(q) != "method"]
            if found:
                return [f"{path}:{q}" for q in found]
        binding = scope.bindings.get(head)
        if binding is not None:
            if binding.external:
                return "builtin" if binding.stdlib else None
            return _ids(self._through_binding(language, binding, parts[1:])) or None
        if language in _JS and head in JAVASCRIPT_GLOBALS:
            return "builtin"
        if len(parts) > 1 and head in _STANDARD_PATHS.get(language, ()):
            return "builtin"  # written in full: std::fs::read(), java.util.Objects.hash()
        if language == "go":
            if len(parts) == 1 and head in GO_BUILTINS:
                return "builtin"
            found = self._same_go_package(path, parts)
            if found:
                return _ids(found)
        return _ids(self._by_unique_name(language, parts)) or None

    def _on_self(self, scope: _FileScope, caller: str, rest: list[str]) -> list[_Target]:
        owners = list(_enclosing(caller))[1:-1]  # the scopes around the caller, not the file
        if caller and scope.kind.get(caller) == "function":
            owners.append(caller)  # a JS constructor function: View.prototype.x is View.x
        for owner in owners:
            found = scope.find_path(owner, rest)
            if found:
                return [(scope.path, q) for q in found]
            if scope.kind.get(owner) in CLASS_KINDS:
                return self._in_bases(scope, owner, rest, hops=0)
        return []

    def _in_bases(self, scope: _FileScope, cls: str, rest: list[str],
                  hops: int) -> list[_Target]:
        """Members named ``rest`` in the bases of class ``cls``, found by the unique-name rule."""
        if hops > _MAX_HOPS:
            return []
        family = _family(self.language[scope.path])
        for base in scope.bases.get(cls, ()):
            short = base.split("<")[0].split("::")[-1].split(".")[-1].split("\\")[-1].strip()
            targets = self.classes.get((family, short), [])
            if len(targets) != 1:
                continue
            path, qualname = targets[0]
            other = self.scopes[path]
            found = other.find_path(qualname, rest)
            if found:
                return [(path, q) for q in found]
            deeper = self._in_bases(other, qualname, rest, hops + 1)
            if deeper:
                return deeper
        return []

    def _through_binding(self, language: str, binding: _Binding,
                         rest: list[str]) -> list[_Target]:
        out: list[_Target] = []
        for path in binding.files:
            scope = self.scopes.get(path)
            if scope is None:
                continue
            if language in _JS:
                out.extend(self._js_export(scope, binding.member, rest, hops=0))
            elif language == "go" or (language == "rust" and not binding.member):
                out.extend((path, q) for q in (scope.find_path("", rest) if rest else []))
            else:  # JVM: the imported class (or member) and what follows it
                out.extend((path, q) for q in scope.find_path("", binding.member.split(".") + rest))
        return out

    def _js_export(self, scope: _FileScope, member: str, rest: list[str],
                   hops: int) -> list[_Target]:
        """What ``member`` (``*``: the module object) then ``rest`` name in a JS file."""
        found = self._js_local(scope, member, rest)
        return found or self._js_reexport(scope, member, rest, hops)

    def _js_local(self, scope: _FileScope, member: str, rest: list[str]) -> list[_Target]:
        return [(scope.path, q) for q in self._js_names(scope, member, rest)]

    def _js_names(self, scope: _FileScope, member: str, rest: list[str]) -> list[str]:
        exports = scope.exports
        if member == "*":
            if not rest:
                local = exports.get("")
                return scope.find_path("", local.split(".")) if local else []
            whole = exports.get("")
            if whole:  # module.exports = app; app.use = ...
                found = scope.find_path("", whole.split(".") + rest)
                if found:
                    return found
            member, rest = rest[0], rest[1:]
        local = exports.get(member)
        if local is None and member == "default":
            local = exports.get("")  # import x from a CommonJS module
        if local is not None:
            return scope.find_path("", local.split(".") + rest)
        if not exports.get(""):
            return scope.find_path("", [member, *rest])  # exports the parser did not see
        return []

    def _js_reexport(self, scope: _FileScope, member: str, rest: list[str],
                     hops: int) -> list[_Target]:
        if hops >= _MAX_HOPS:
            return []
        if member == "*":
            if not rest:
                return []
            member, rest = rest[0], rest[1:]
        for ref, files in self._reexports.get(scope.path, ()):
            for name, alias in zip(ref.names, ref.aliases):
                if name == "*" and not alias:
                    taken = member  # export * from: every name under its own name
                elif alias == member:
                    taken = name
                else:
                    continue
                for path in files:
                    other = self.scopes.get(path)
                    if other is None:
                        continue
                    found = self._js_export(other, taken, rest, hops + 1)
                    if found:
                        return found
        return []

    def _same_go_package(self, path: str, parts: list[str]) -> list[_Target]:
        key = (posixpath.dirname(path), (self.scopes[path].facts.extra or {}).get("package"))
        index = self._go_index.get(key)
        if index is None:  # the package's definitions by (owner, name), built once per package
            index = self._go_index[key] = defaultdict(list)
            for other in self.go_packages.get(key, ()):
                for owner_name, qualnames in self.scopes[other].by_scope.items():
                    index[owner_name].extend((other, q) for q in qualnames)
        inner = ".".join(p for p in parts[:-1] if p)
        return [(other, q) for other, q in index.get((inner, parts[-1]), ()) if other != path]

    def _by_unique_name(self, language: str, parts: list[str]) -> list[_Target]:
        family = _family(language)
        if language == "ruby" and len(parts) == 2 and parts[1] == "new":
            parts = parts[:1]  # Widget.new constructs a Widget
        elif len(parts) >= 2:
            targets = self.classes.get((family, parts[0]), [])
            if len(targets) == 1:
                path, qualname = targets[0]
                return [(path, q) for q in self.scopes[path].find_path(qualname, parts[1:])]
            return []
        if language in _C:
            targets = self.functions.get((family, parts[0]), [])
            return list(targets) if len(targets) == 1 else []
        if language in _JVM or language in ("csharp", "php", "ruby"):
            targets = self.classes.get((family, parts[0]), [])  # a constructor call
            return list(targets) if len(targets) == 1 else []
        return []


def _module_stem(path: str) -> str:
    """The Rust module a file is: ``util`` for ``src/util.rs`` and ``src/util/mod.rs``."""
    directory, name = posixpath.split(path)
    stem = posixpath.splitext(name)[0]
    return posixpath.basename(directory) if stem == "mod" else stem


def _ids(targets: list[_Target]) -> list[str]:
    return [f"{path}:{qualname}" for path, qualname in targets]


def _family(language: str) -> str:
    if language in _JS:
        return "javascript"
    if language in _JVM:
        return "jvm"
    if language in _C:
        return "c"
    return language
