"""One text form for git's paths, which are bytes.

Git stores a path as any bytes but NUL; most are UTF-8, some are not (a Latin-1 ``caf\\xe9.py``
committed on an old system). Every path the workbench reads from git comes from a ``-z``
command (no C-quoting by git) and goes through :func:`path_text`, and that text is what the
file listing, mined history, the store and messages all use, so a file joins its history by
plain string equality.

The text form:

* a path that is valid UTF-8 is its decoded text, unchanged;
* every byte that is not part of valid UTF-8 is written ``\\xNN`` (two lowercase hex digits),
  as Python's ``backslashreplace`` shows it;
* a literal backslash that is followed by ``x`` is written ``\\x5c``, so that the text
  reads back to exactly one byte string.

It is valid UTF-8 (DuckDB, JSON and terminals take it), readable, and reversible:
:func:`path_bytes` gives git back the bytes, e.g. for ``git blame -- <path>``. Python's
``surrogateescape`` (``os.fsdecode``) round-trips too, but its lone surrogates cannot be
stored in DuckDB or printed.
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(rb"\\x")
_HEX_ESCAPE = re.compile(r"\\x([0-9a-f]{2})")


def path_text(raw: bytes) -> str:
    """The text form of a git path given as bytes (see the module docstring)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _ESCAPE.sub(rb"\\x5cx", raw).decode("utf-8", "backslashreplace")
    return text if "\\x" not in text else text.replace("\\x", "\\x5cx")


def path_bytes(text: str) -> bytes:
    """The bytes git knows for a path in text form: the inverse of :func:`path_text`."""
    if "\\x" not in text:
        return text.encode("utf-8")
    out = bytearray()
    last = 0
    for match in _HEX_ESCAPE.finditer(text):
        out += text[last:match.start()].encode("utf-8")
        out.append(int(match.group(1), 16))
        last = match.end()
    out += text[last:].encode("utf-8")
    return bytes(out)


__all__ = ["path_bytes", "path_text"]
