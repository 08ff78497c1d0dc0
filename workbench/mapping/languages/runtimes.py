"""Names a language's runtime provides without an install: Node's built-in modules, the
global functions of JavaScript, Go's predeclared functions, and which imports name a
standard library (:func:`is_standard_library`).

Node's list is ``require('module').builtinModules`` of Node 20 (run
``node -e "console.log(require('module').builtinModules)"``), plus the modules Node's
documentation (https://nodejs.org/api/modules.html#built-in-modules-with-mandatory-node-prefix)
lists as loadable only with the ``node:`` prefix. An import of one of them is the standard
library, never an npm package, whether or not it is written with ``node:``.
"""

from __future__ import annotations

#: ``require('module').builtinModules`` of Node 20.
NODE_BUILTIN_MODULES = frozenset({
    "_http_agent", "_http_client", "_http_common", "_http_incoming", "_http_outgoing",
    "_http_server", "_stream_duplex", "_stream_passthrough", "_stream_readable",
    "_stream_transform", "_stream_wrap", "_stream_writable", "_tls_common", "_tls_wrap",
    "assert", "assert/strict", "async_hooks", "buffer", "child_process", "cluster", "console",
    "constants", "crypto", "dgram", "diagnostics_channel", "dns", "dns/promises", "domain",
    "events", "fs", "fs/promises", "http", "http2", "https", "inspector", "inspector/promises",
    "module", "net", "os", "path", "path/posix", "path/win32", "perf_hooks", "process",
    "punycode", "querystring", "readline", "readline/promises", "repl", "stream",
    "stream/consumers", "stream/promises", "stream/web", "string_decoder", "sys", "timers",
    "timers/promises", "tls", "trace_events", "tty", "url", "util", "util/types", "v8", "vm",
    "wasi", "worker_threads", "zlib",
})
#: Built-in only when written with the prefix (``node:test``; a bare ``test`` is from npm).
NODE_PREFIX_ONLY_MODULES = frozenset({"sea", "sqlite", "test", "test/reporters"})

#: Global objects and functions of ECMAScript and Node: a call through one of them is a
#: call to the runtime (counted as builtin), never to the repository.
JAVASCRIPT_GLOBALS = frozenset({
    "AbortController", "AggregateError", "Array", "ArrayBuffer", "Atomics", "BigInt",
    "BigInt64Array", "BigUint64Array", "Blob", "Boolean", "Buffer", "DataView", "Date",
    "Error", "EvalError", "Event", "EventTarget", "FinalizationRegistry", "Float32Array",
    "Float64Array", "FormData", "Function", "Headers", "Int16Array", "Int32Array", "Int8Array",
    "Intl", "JSON", "Map", "Math", "Number", "Object", "Promise", "Proxy", "RangeError",
    "ReferenceError", "Reflect", "RegExp", "Request", "Response", "Set", "SharedArrayBuffer",
    "String", "Symbol", "SyntaxError", "TextDecoder", "TextEncoder", "TypeError", "URIError",
    "URL", "URLSearchParams", "Uint16Array", "Uint32Array", "Uint8Array", "Uint8ClampedArray",
    "WeakMap", "WeakRef", "WeakSet", "WebAssembly", "atob", "btoa", "clearImmediate",
    "clearInterval", "clearTimeout", "console", "decodeURI", "decodeURIComponent",
    "encodeURI", "encodeURIComponent", "escape", "eval", "fetch", "globalThis", "isFinite",
    "isNaN", "parseFloat", "parseInt", "process", "queueMicrotask", "setImmediate",
    "setInterval", "setTimeout", "structuredClone", "super", "unescape",
})

#: Go's predeclared functions (https://go.dev/ref/spec#Predeclared_identifiers).
GO_BUILTINS = frozenset({
    "append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make",
    "max", "min", "new", "panic", "print", "println", "real", "recover",
})


def node_builtin(target: str) -> str | None:
    """The built-in module a JavaScript import names (``fs`` for ``node:fs/promises``)."""
    bare = target.removeprefix("node:")
    prefixed = bare != target
    if bare in NODE_BUILTIN_MODULES or (prefixed and bare in NODE_PREFIX_ONLY_MODULES):
        return bare.split("/")[0]
    if prefixed:  # node:anything is the runtime's, even one this list does not know yet
        return bare.split("/")[0]
    return None


#: Top names of the libraries that ship with the language (JDK and Kotlin's standard library,
#: .NET's base class library, Rust's std / core / alloc).
STANDARD_TOPS = {
    "java": frozenset({"java", "javax", "jdk"}),
    "kotlin": frozenset({"java", "javax", "jdk", "kotlin"}),
    "csharp": frozenset({"System"}),
    "rust": frozenset({"std", "core", "alloc", "proc_macro", "test"}),
}
#: Import kinds that always name the system's library (``#include <stdio.h>``).
SYSTEM_KINDS = frozenset({"include_system"})


def is_standard_library(language: str, ref_kind: str, name: str) -> bool:
    """True when the external package ``name`` an import of ``language`` names ships with the
    language: a Go path whose first segment has no dot (``fmt``, ``net/http``), the JDK's
    ``java.*`` / ``javax.*``, Rust's ``std::`` / ``core::``, .NET's ``System``, a system
    header. JavaScript's answer is :func:`node_builtin` of the import's target."""
    if ref_kind in SYSTEM_KINDS:
        return True
    if language == "go":
        return "." not in name.split("/")[0]
    tops = STANDARD_TOPS.get(language)
    return tops is not None and name.split(".")[0].split("::")[0] in tops
