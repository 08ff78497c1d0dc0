"""Which face is calling (the Python API or the ``workbench`` command), so that a hint in an
error or a log line names what that user can type: a CLI flag or a Python argument.

The command line sets :data:`current` to ``"cli"`` when it starts; everything else is Python.
Notebooks check their ``project`` parameter with :func:`notebook_project` first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ProjectNotFound

if TYPE_CHECKING:  # pragma: no cover
    from .facade import Workbench

#: ``"python"`` (default) or ``"cli"``.
current = "python"

#: The project ``make demo`` maps (this repository): the notebooks' default ``project``.
DEMO_PROJECT = "workbench"


def hint(cli: str, python: str) -> str:
    """The CLI's wording when the command line runs, else the Python one.

    >>> hint("--name NAME", "name=...")
    'name=...'
    """
    return cli if current == "cli" else python


def notebook_project(wb: "Workbench", project: str) -> str:
    """``project``, checked at the top of a notebook. The demo's project, when it is not
    there, is :class:`~workbench.errors.ProjectNotFound` saying to run ``make demo`` (or to
    map a repository and pass its name as the notebook's ``project`` parameter); any other
    name is left to the facade's own error."""
    known = [p.name for p in wb.projects()]
    if project in known or project != DEMO_PROJECT:
        return project
    listed = (f" Projects here: {', '.join(known)}; pass one as the `project` parameter."
              if known else "")
    raise ProjectNotFound(
        f"no project named {project!r} in {wb.data_dir}: it is the one `make demo` maps. "
        f"Run `make demo` in the checkout first, or map a repository (`workbench map "
        f"PATH_OR_URL --name NAME`) and run this notebook with its name as the `project` "
        f"parameter (`-p project NAME` under papermill).{listed}", project=project)
