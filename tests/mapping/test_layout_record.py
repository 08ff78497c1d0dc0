"""A module layout kept with a snapshot and read back is the layout ``module_layout`` works out.

A derived map reads its base's layout instead of naming every Python file again; that holds
only if the layout read back, with the new import counts, is exactly the one the same paths
and counts give.
"""

from __future__ import annotations

from dataclasses import asdict

import json
import zlib

import pytest

from workbench.mapping.pymodules import ModuleLayout, module_layout, root_choices

PATHS = ["src/pkg/__init__.py", "src/pkg/a.py", "lib/tool/__init__.py", "lib/tool/b.py",
         "scripts/run.py", "my-dir/x.py", "ns/part/c.py", "ns/part/__init__.py", "a/b/c.py",
         "setup.py", "pkg.py", "bad name.py", "app/__init__.py", "app/app.py",
         "app/models/__init__.py", "app/models/user.py"]


@pytest.mark.parametrize("imports", [
    [],
    ["pkg.a", "src.pkg.a", "tool.b", "lib.tool.b", "lib.tool"],
    ["ns.part.c", "app.models.user", "tool"],
])
def test_a_kept_layout_read_back_is_the_layout_of_its_paths(imports) -> None:
    layout = module_layout(PATHS, imports)
    kept = layout.encode()
    assert asdict(ModuleLayout.decode(kept, layout.evidence, layout.choices)) == asdict(layout)
    # counts that leave every choice as it was: the layout those counts give
    counts = {name: 3 * used for name, used in layout.evidence.items()}
    counts["unrelated"] = 5
    assert root_choices(layout.choices, counts) == root_choices(layout.choices, layout.evidence)
    again = module_layout(PATHS, evidence=counts)
    read_back = ModuleLayout.decode(kept, layout.evidence, layout.choices, counts)
    assert asdict(read_back) == asdict(again)
    assert list(read_back.evidence) == list(again.evidence)  # in the order it was weighed


def test_the_layout_kept_names_aliases_and_unimportable_files() -> None:
    """The case above is not empty: every part of a layout is there to be kept."""
    layout = module_layout(PATHS, ["pkg.a", "src.pkg.a", "tool.b", "lib.tool.b"])
    assert layout.aliases and layout.unimportable and layout.packages and layout.dir_packages
    assert layout.evidence and layout.choices


def test_a_layout_read_back_keeps_its_bytes_and_older_bytes_still_read() -> None:
    """The bytes leave out the evidence and choices (the link record keeps them): a layout
    read back encodes to the very bytes it came from, whatever the new counts, so a derived
    map keeps its base's; bytes that still hold them (kept by earlier versions) read the same."""
    layout = module_layout(PATHS, ["pkg.a", "src.pkg.a", "tool.b"])
    kept = layout.encode()
    assert len(json.loads(zlib.decompress(kept))) == 5
    counts = {name: used + 1 for name, used in layout.evidence.items()}
    read_back = ModuleLayout.decode(kept, layout.evidence, layout.choices, counts)
    assert read_back.encode() is kept
    assert read_back.evidence == counts
    older = zlib.compress(json.dumps(
        [layout.names, layout.aliases, layout.unimportable, sorted(layout.packages),
         layout.dir_packages, layout.evidence, layout.choices]).encode())
    from_older = ModuleLayout.decode(older, layout.evidence, layout.choices, counts)
    assert asdict(from_older) == asdict(read_back)
    assert from_older.encode() == kept  # written again in the current form
