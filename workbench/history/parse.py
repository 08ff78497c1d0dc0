"""Incremental parser for the NUL-separated ``git log --numstat -z`` stream.

The stream is split on NUL only, never on newlines or other separators, because paths may
contain any byte but NUL. Every commit starts with a header of :data:`HEADER_FIELDS` tokens
(the first one prefixed by ``\\x1e``) followed by zero or more numstat entries:

* ``<added>\\t<deleted>\\t<path>`` for an ordinary change,
* ``<added>\\t<deleted>\\t`` then two more tokens ``<old path>`` and ``<new path>`` for a rename,
* ``-`` instead of the counts for a binary file.

The first numstat entry of a commit carries a leading newline (git's separator between the
header and the diff). A header is recognised only where a numstat entry could start, and
numstat entries start with a digit, ``-`` or that newline, so a ``\\x1e`` inside a path or a
subject can never be taken for a new commit: those are consumed positionally.
"""

from __future__ import annotations

from typing import Iterable, Iterator, NamedTuple

from workbench.history.errors import HistoryError

#: ``--format`` placeholders, in the order the header tokens arrive. Identities are taken as
#: written (``%an``, not the mailmapped ``%aN``): the reader applies the ``.mailmap`` of the
#: snapshot it answers for. ``%s`` folds a multi-line subject onto one line.
HEADER_PLACEHOLDERS = ("%H", "%P", "%an", "%ae", "%at", "%cn", "%ce", "%ct", "%s")
HEADER_FIELDS = len(HEADER_PLACEHOLDERS)
RECORD_MARK = b"\x1e"
#: The value for ``git log --format``; git ends it with a NUL itself because of ``-z``.
LOG_FORMAT = "%x1e" + "%x00".join(HEADER_PLACEHOLDERS)


class RawChange(NamedTuple):
    """One numstat entry, still as bytes; ``old_path`` is None unless git detected a rename."""

    added: bytes
    deleted: bytes
    path: bytes
    old_path: bytes | None


class RawCommit(NamedTuple):
    """One commit's header tokens (in :data:`HEADER_PLACEHOLDERS` order) and its changes;
    ``truncated`` when the commit changed more files than the parser was allowed to keep."""

    header: list[bytes]
    changes: list[RawChange]
    truncated: bool = False


def split_tokens(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield NUL-terminated tokens from arbitrary chunks, carrying partial tokens over."""
    tail = b""
    for chunk in chunks:
        parts = (tail + chunk).split(b"\0") if tail else chunk.split(b"\0")
        tail = parts.pop()
        yield from parts
    if tail:
        yield tail


def parse_log(chunks: Iterable[bytes], max_changes: int | None = None) -> Iterator[RawCommit]:
    """Yield each commit of the stream as soon as its last numstat entry has been read.

    With ``max_changes``, a commit with more numstat entries is yielded with its first
    ``max_changes`` and ``truncated=True`` as soon as one more arrives, and parsing stops there
    (the caller stops git and, to go on, starts it again after that commit).
    """
    tokens = split_tokens(chunks)
    token = next(tokens, None)
    while token is not None:
        if not token.startswith(RECORD_MARK):
            raise HistoryError(f"unexpected git log output near {token[:60]!r}")
        header = [token[1:], *_take(tokens, HEADER_FIELDS - 1)]
        changes: list[RawChange] = []
        token = next(tokens, None)
        while token is not None and not token.startswith(RECORD_MARK):
            if token.startswith(b"\n"):
                token = token[1:]
            if token:
                if max_changes is not None and len(changes) >= max_changes:
                    yield RawCommit(header, changes, True)
                    return
                try:
                    added, deleted, path = token.split(b"\t", 2)
                except ValueError:
                    raise HistoryError(f"unexpected numstat entry {token[:60]!r}") from None
                if path:
                    changes.append(RawChange(added, deleted, path, None))
                else:
                    old_path, new_path = _take(tokens, 2)
                    changes.append(RawChange(added, deleted, new_path, old_path))
            token = next(tokens, None)
        yield RawCommit(header, changes)


def _take(tokens: Iterator[bytes], count: int) -> list[bytes]:
    taken = [token for _, token in zip(range(count), tokens)]
    if len(taken) != count:
        raise HistoryError("git log output ended in the middle of a commit")
    return taken


class RecordScanner:
    """Finds where each commit's record starts in a ``git log -z`` stream fed in pieces.

    The same positional reading as :func:`parse_log` (a ``\\x1e`` inside a path or a subject
    is never taken for a record), without building commits: two git processes showing one
    history from both ends are joined at a record boundary (:mod:`workbench.history.git`).
    """

    __slots__ = ("offset", "_tail", "_skip", "_body")

    def __init__(self) -> None:
        #: Bytes of the stream fed so far (the offsets below count from its start).
        self.offset = 0
        self._tail = b""  # a token whose NUL has not arrived yet
        self._skip = 0  # header or rename tokens still to pass over
        self._body = False  # inside a commit, where numstat entries or a new record may start

    @property
    def settled(self) -> int:
        """Offset up to which every token is complete: bytes before it are read for good."""
        return self.offset - len(self._tail)

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """``(offset, sha)`` of each record starting in the complete tokens of ``data``."""
        starts: list[tuple[int, bytes]] = []
        position = self.settled
        self.offset += len(data)
        tokens = (self._tail + data).split(b"\0") if self._tail else data.split(b"\0")
        self._tail = tokens.pop()
        skip, body = self._skip, self._body
        for token in tokens:
            if skip:
                skip -= 1
            elif token.startswith(RECORD_MARK):
                starts.append((position, token[1:]))
                skip, body = HEADER_FIELDS - 1, True
            elif not body:
                raise HistoryError(f"unexpected git log output near {token[:60]!r}")
            else:
                entry = token[1:] if token.startswith(b"\n") else token
                if entry and entry.split(b"\t", 2)[2:] == [b""]:
                    skip = 2  # a rename: the old and the new path follow
            position += len(token) + 1
        self._skip, self._body = skip, body
        return starts
