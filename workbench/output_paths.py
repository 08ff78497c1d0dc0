"""Files and directories a person names for the workbench to write (an export, a report's or a
batch run's output directory, the data directory).

The operating system's refusal (``IsADirectoryError``, ``FileExistsError``, a directory that
cannot be created ...) becomes one :class:`~workbench.errors.OutputPathError` naming the path
it refused and what to do instead, for the command line, notebooks and the Python API alike::

    target = output_file(path)          # its directory created, or OutputPathError
    with writing(target):               # OSError while writing -> OutputPathError
        target.write_text(text)
"""

from __future__ import annotations

import errno
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import OutputPathError

_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT)


def refusal(exc: OSError, path: str | Path) -> OutputPathError:
    """The error for ``exc``, raised by the system while writing ``path`` (the path it names,
    when it names one, is the one reported)."""
    where = Path(exc.filename) if exc.filename else Path(path)
    code = exc.errno
    if code == errno.EISDIR:
        message = f"{where} is a directory; give the path of a file to write, not a directory"
    elif code in (errno.EEXIST, errno.ENOTDIR):  # the file in the way may be an ancestor
        where = next((p for p in (where, *where.parents) if p.exists() and not p.is_dir()),
                     where)
        message = (f"{where} is a file where a directory is needed; remove the file or "
                   "choose another path")
    elif code in _NOT_WRITABLE:
        message = (f"cannot create {where} ({exc.strerror}); choose a path in a directory "
                   "you can write to")
    elif code == errno.ENOSPC:
        message = f"no space left on the device to write {where}; free space or choose another disk"
    else:
        message = f"cannot write {where} ({exc.strerror or exc}); choose another path"
    return OutputPathError(message, path=str(where))


@contextmanager
def writing(path: str | Path) -> Iterator[Path]:
    """Run the block that writes ``path``; an ``OSError`` in it becomes :func:`refusal`'s
    :class:`~workbench.errors.OutputPathError`."""
    try:
        yield Path(path)
    except OSError as exc:
        raise refusal(exc, path) from None


def output_dir(path: str | Path) -> Path:
    """``path`` as a directory to write into, created with its parents when missing."""
    path = Path(path)
    with writing(path):
        path.mkdir(parents=True, exist_ok=True)
    return path


def output_file(path: str | Path) -> Path:
    """``path`` as a file to write (an existing file is replaced); its directory is created.
    A directory at ``path`` is refused before anything is written."""
    path = Path(path)
    if path.is_dir():
        raise refusal(IsADirectoryError(errno.EISDIR, "Is a directory", str(path)), path)
    output_dir(path.parent)
    return path


__all__ = ["output_dir", "output_file", "refusal", "writing"]
