"""The stream parser on hand-written git output, cut into chunks at every possible place."""

from __future__ import annotations

import pytest

from workbench.history.errors import HistoryError
from workbench.history.parse import RawChange, parse_log, split_tokens

SHA1, SHA2 = b"1" * 40, b"2" * 40
STREAM = (
    b"\x1e" + SHA1 + b"\x00\x00Ann\x00ann@x\x00100\x00Ann\x00ann@x\x00100\x00first\x00"
    b"\n3\t0\ta.txt\x00-\t-\tlogo.png\x00"
    b"\x1e" + SHA2 + b"\x00" + SHA1 + b"\x00Bo\x00bo@x\x00200\x00Bo\x00bo@x\x00201\x00second\x00"
    b"\n1\t2\t\x00a.txt\x00b c.txt\x00"
)


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 2, 7, 64, 10_000])
def test_parses_commits_whatever_the_chunking(size: int) -> None:
    commits = list(parse_log(chunked(STREAM, size)))
    assert [c.header for c in commits] == [
        [SHA1, b"", b"Ann", b"ann@x", b"100", b"Ann", b"ann@x", b"100", b"first"],
        [SHA2, SHA1, b"Bo", b"bo@x", b"200", b"Bo", b"bo@x", b"201", b"second"],
    ]
    assert [c.changes for c in commits] == [
        [RawChange(b"3", b"0", b"a.txt", None), RawChange(b"-", b"-", b"logo.png", None)],
        [RawChange(b"1", b"2", b"b c.txt", b"a.txt")],
    ]


def test_commit_without_changes_and_empty_stream() -> None:
    stream = b"\x1e" + SHA1 + b"\x00\x00A\x00a@x\x00100\x00A\x00a@x\x00100\x00empty\x00"
    (commit,) = parse_log([stream])
    assert commit.changes == []
    assert list(parse_log([])) == []
    assert list(split_tokens([b"a\x00b", b"c\x00"])) == [b"a", b"bc"]


@pytest.mark.parametrize("stream", [STREAM[:30], b"garbage\x00", STREAM + b"oops\x00"])
def test_malformed_output_raises(stream: bytes) -> None:
    with pytest.raises(HistoryError):
        list(parse_log([stream]))
