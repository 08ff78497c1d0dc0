"""Which face is calling (the Python API or the ``workbench`` command), so that a hint in an
error or a log line names what that user can type: a CLI flag or a Python argument.

The command line sets :data:`current` to ``"cli"`` when it starts; everything else is Python.
"""

from __future__ import annotations

#: ``"python"`` (default) or ``"cli"``.
current = "python"


def hint(cli: str, python: str) -> str:
    """The CLI's wording when the command line runs, else the Python one.

    >>> hint("--name NAME", "name=...")
    'name=...'
    """
    return cli if current == "cli" else python
