"""Text of a source file's bytes, decoded as the language itself reads them.

Python honours an encoding declaration (PEP 263: ``# -*- coding: latin-1 -*-`` in the first two
lines) and a UTF-8 byte-order mark; the parser reads such a file right, so search passages and
the context sent to a model must too, or ``café`` shows as ``caf�``. Every other file is read as
UTF-8. Bytes the encoding cannot read become U+FFFD, never an error.
"""

from __future__ import annotations

import codecs
import io
import tokenize


def decode_source(path: str, data: bytes) -> str:
    """``data`` (the bytes of the file at ``path``) as text: with a ``.py`` file's declared
    encoding (:func:`tokenize.detect_encoding`), else UTF-8; undecodable bytes replaced."""
    encoding = "utf-8"
    if path.endswith((".py", ".pyi")):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            codecs.lookup(encoding)
        except (SyntaxError, LookupError):  # a declaration naming no codec: read as UTF-8
            encoding = "utf-8"
    if encoding == "utf-8-sig":
        encoding = "utf-8"
        data = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    return data.decode(encoding, errors="replace")
