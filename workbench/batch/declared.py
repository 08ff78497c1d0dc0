"""The parameters a notebook declares, and the refusal of any other name before it runs.

Papermill only logs "Passed unknown parameter" for a name the ``parameters`` cell does not
assign, injects it anyway and runs the notebook on its defaults: ``-p projct shop`` would quietly
report on the default project. Every notebook run is therefore checked against the names its
``parameters`` cell assigns (read with :mod:`ast`, as Python reads them) before anything runs.

Papermill finds those names with a pattern of its own, which does not read PEP 604 annotations
(``ref: "str | None" = None``): notebooks write ``ref: "Optional[str]" = None``, which both read.
"""

from __future__ import annotations

import ast
import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import UnknownParameter

#: Parameter a notebook gets set to the workbench's data directory when its parameters cell
#: declares it and the caller did not pass it.
DATA_DIR_PARAMETER = "data_dir"


def declared_parameters(notebook: Path) -> dict[str, str | None]:
    """The names the notebook's ``parameters`` cell assigns, each with its declared type: the
    annotation (``ref: "Optional[str]" = None``), else the type of a literal default
    (``depth = 1`` -> ``"int"``), else None. An unreadable notebook declares nothing."""
    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return {}
    for cell in cells:
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        try:
            tree = ast.parse("".join(source) if isinstance(source, list) else source)
        except SyntaxError:
            return {}
        found: dict[str, str | None] = {}
        for node in tree.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                note = node.annotation
                found[node.target.id] = (note.value if isinstance(note, ast.Constant)
                                         and isinstance(note.value, str) else ast.unparse(note))
            elif isinstance(node, ast.Assign):
                kind = None
                if isinstance(node.value, (ast.Constant, ast.List, ast.Dict)):
                    try:
                        literal = ast.literal_eval(node.value)
                    except ValueError:
                        literal = None
                    if literal is not None:
                        kind = type(literal).__name__
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = kind
        return found
    return {}


def refuse_undeclared(notebook: Path, parameters: Mapping[str, Any],
                      declared: Mapping[str, Any] | None = None) -> None:
    """Raise :class:`~workbench.errors.UnknownParameter` when ``parameters`` name anything the
    notebook's ``parameters`` cell does not assign (``declared``: from
    :func:`declared_parameters`, read from ``notebook`` when not given).

    The message names the unknown names, the closest declared name of each when one is close,
    and every name the notebook accepts.
    """
    if not parameters:
        return
    accepted = list(declared_parameters(notebook) if declared is None else declared)
    unknown = [name for name in parameters if name not in accepted]
    if not unknown:
        return
    closest = {name: match[0] for name in unknown
               if (match := difflib.get_close_matches(name, accepted, n=1))}
    named = ", ".join(f"{name!r}" + (f" (did you mean {closest[name]!r}?)" if name in closest
                                     else "") for name in unknown)
    accepts = (f"it accepts {', '.join(accepted)}" if accepted else
               "it accepts none (no cell tagged 'parameters' assigns any)")
    raise UnknownParameter(
        f"notebook {Path(notebook).name} has no parameter{'s' if len(unknown) > 1 else ''} "
        f"{named}; {accepts}",
        parameter=unknown[0], unknown=unknown, notebook=str(notebook), accepted=accepted,
        closest=closest)
