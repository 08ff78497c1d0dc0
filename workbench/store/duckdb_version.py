"""DuckDB's package version, read without ``importlib.metadata``.

``import duckdb`` runs ``duckdb._version``, which asks ``importlib.metadata`` for the
distribution's version. Importing ``importlib.metadata`` (``email``, ``zipfile``, ``csv``, ...)
and the lookup cost a fresh process about 30 ms, a tenth of a ``workbench status``. The
version is the ``Version:`` header of the distribution's ``METADATA`` file, the very file
``importlib.metadata`` reads: :func:`provide` reads it directly from the ``duckdb-*.dist-info``
directory beside the compiled module and gives DuckDB a ``duckdb._version`` module with the
same three names (``__version__``, ``__duckdb_version__``, ``version()``).

When anything differs from that layout (no or several ``dist-info`` directories, no
``Version:`` header, DuckDB already imported), nothing is provided and DuckDB reads its version
as usual; :func:`import_duckdb` also falls back to the usual import when a DuckDB release
wants more from ``duckdb._version`` than those three names.
"""

from __future__ import annotations

import os
import sys
import types

#: Marks the ``duckdb._version`` module made here.
_MARK = "__workbench_provided__"


def _read_version(site: str) -> str | None:
    infos = [n for n in os.listdir(site) if n.startswith("duckdb-") and n.endswith(".dist-info")]
    if len(infos) != 1:
        return None
    with open(os.path.join(site, infos[0], "METADATA"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip() or None
            if not line.strip():  # the end of the headers
                return None
    return None


def provide() -> bool:
    """Put a ``duckdb._version`` module in ``sys.modules`` (before ``import duckdb``); True
    when one was provided."""
    if "duckdb" in sys.modules or "duckdb._version" in sys.modules:
        return False
    try:
        import _duckdb

        version = _read_version(os.path.dirname(_duckdb.__file__))
        engine = _duckdb.__version__
    except Exception:  # noqa: BLE001 - any surprise: DuckDB finds its version itself
        return False
    if version is None:
        return False
    module = types.ModuleType("duckdb._version", "Version API (read from the METADATA file).")
    module.__version__ = version
    module.__duckdb_version__ = engine
    module.version = lambda: f"{version} (with duckdb {engine})"
    setattr(module, _MARK, True)
    sys.modules["duckdb._version"] = module
    return True


def import_duckdb() -> types.ModuleType:
    """``import duckdb`` with :func:`provide` first; the plain import when DuckDB needs more
    of ``duckdb._version`` than is provided."""
    provided = provide()
    try:
        import duckdb
    except ImportError:
        if not provided:
            raise
        for name in [n for n in sys.modules if n == "duckdb" or n.startswith("duckdb.")]:
            del sys.modules[name]
        import duckdb
    else:
        if provided:
            duckdb._version = sys.modules["duckdb._version"]
    return duckdb
