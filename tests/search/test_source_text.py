"""Search passages read a Python file in its declared encoding, as the parser does."""

from __future__ import annotations

import codecs

from tests.helpers import commit, init_repo, write
from workbench.source_text import decode_source

LATIN = "# -*- coding: latin-1 -*-\n\n\ndef café_name():\n    return 'crème brûlée'\n"


def test_the_declared_encoding_is_read():
    assert decode_source("a.py", LATIN.encode("latin-1")) == LATIN
    assert decode_source("a.py", codecs.BOM_UTF8 + "x = 'é'\n".encode()) == "x = 'é'\n"
    assert decode_source("a.py", "x = 'é'\n".encode()) == "x = 'é'\n"
    # a declaration naming no codec, and files of other languages, read as UTF-8
    assert decode_source("a.py", b"# coding: nosuch\nx = '\xe9'\n") == "# coding: nosuch\nx = '\ufffd'\n"
    assert decode_source("notes.md", LATIN.encode("latin-1")).count("\ufffd") == 4


def test_a_latin1_file_is_found_and_shown_in_its_own_letters(wb, tmp_path):
    repo = init_repo(tmp_path / "old")
    write(repo, {"menu.py": LATIN.encode("latin-1")})
    commit(repo, "a menu from before UTF-8", "2026-01-01T10:00:00+00:00")
    wb.map(str(repo), name="old")
    wb.index("old", wait=True)
    hits = wb.search("crème brûlée", "old", mode="text")
    assert len(hits) and hits.loc[0, "path"] == "menu.py"
    assert "café_name" in hits.loc[0, "text"] and "\ufffd" not in hits.loc[0, "text"]
