"""Reading contracts: import-linter's own configuration files and the workbench's TOML.

import-linter (https://import-linter.readthedocs.io, "Configure") reads, in this order, the
first of ``setup.cfg`` and ``.importlinter`` (INI, an ``[importlinter]`` section and one
``[importlinter:contract:ID]`` section per contract) and ``pyproject.toml``
(``[tool.importlinter]`` with ``[[tool.importlinter.contracts]]``). The workbench reads the
same files unchanged, after its own ``workbench-contracts.toml``::

    root_packages = ["shop"]           # optional: check only these packages
    exclude_type_checking_imports = true

    [[contracts]]
    name = "layered"
    type = "layers"
    layers = ["shop.web", "shop.services", "shop.store"]

Contracts of the workbench's TOML take import-linter's option names too, plus its own short
ones (``source``, ``forbidden``, ``allow_indirect``; type ``acyclic`` with ``container``).
An unknown type or option is an error naming the closest known ones: nothing passes by typo.
"""

from __future__ import annotations

import configparser
import difflib
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ContractConfigError
from .kinds import TYPES, Contract

#: The workbench's own contracts file at the root of an analysed repository.
WORKBENCH_FILE = "workbench-contracts.toml"
#: Files searched in a repository, in order (the workbench's, then import-linter's order).
CONFIG_FILES = (WORKBENCH_FILE, "setup.cfg", ".importlinter", "pyproject.toml")

#: import-linter's option names -> the dataclass fields that hold them.
_ALIASES = {
    "source_modules": "source", "forbidden_modules": "forbidden",
    "allow_indirect_imports": "allow_indirect",
}
_BOOL = {"allow_indirect", "as_packages", "exhaustive"}
_LISTS = {"layers", "containers", "exhaustive_ignores", "source", "forbidden", "modules",
          "protected_modules", "allowed_importers", "packages_with_private_modules",
          "ancestors", "skip_descendants", "ignore_imports"}
_ALERTS = ("error", "warn", "none")
_SESSION = {"root_package", "root_packages", "include_external_packages",
            "exclude_type_checking_imports", "exclude_contexts"}


@dataclass(frozen=True)
class Options:
    """Top-level options: which modules make the graph and which imports count.

    ``root_packages`` empty: every module of the map (the workbench's default); otherwise
    only modules under them, as import-linter builds its graph. ``include_external_packages``:
    imports of packages outside the roots count (as top-level names). ``exclude_contexts``:
    import contexts left out (``type_checking`` for ``exclude_type_checking_imports``).
    """

    root_packages: tuple[str, ...] = ()
    include_external_packages: bool = True
    exclude_contexts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContractSet:
    """Contracts with their top-level options and the file they came from."""

    contracts: tuple[Contract, ...]
    options: Options = field(default_factory=Options)
    source: str = ""

    def __iter__(self):
        return iter(self.contracts)

    def __len__(self) -> int:
        return len(self.contracts)


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ContractConfigError(f"{key}: expected true or false, got {value!r}")


def _list(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        items = value.split("\n")
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ContractConfigError(f"{key}: expected a list of names, got {value!r}")
    if not all(isinstance(v, str) for v in items):
        raise ContractConfigError(f"{key}: expected names (text), got {value!r}")
    return [v.strip() for v in items if v.strip()]


def _suggest(key: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.5)
    return f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(sorted(known))}"


def contract_from_dict(spec: dict[str, Any], *, where: str = "", strict: bool = True) -> Contract:
    """One contract from a table of options (a ``type`` key and the type's options).

    ``strict``: lists must be given as lists (TOML); otherwise a single text is a list of
    one name per line (INI).
    """
    spec = dict(spec)
    kind = spec.pop("type", None)
    label = spec.get("name") or spec.get("id") or kind
    if not isinstance(kind, str) or kind not in TYPES:
        raise ContractConfigError(
            f"{where}contract {label!r}: unknown contract type {kind!r}{_suggest(str(kind), TYPES)}")
    cls = TYPES[kind]
    allowed = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in spec.items():
        target = _ALIASES.get(key, key)
        if target not in allowed:
            known = allowed | {k for k, v in _ALIASES.items() if v in allowed}
            raise ContractConfigError(
                f"{where}contract {label!r} ({kind}): unknown option {key!r}{_suggest(key, known)}")
        if target in _BOOL:
            value = _bool(value, key)
        elif target in _LISTS:
            if strict and isinstance(value, str) and target not in ("source", "forbidden"):
                raise ContractConfigError(f"{where}contract {label!r}: {key} must be a list, "
                                          f"e.g. [{value!r}]")
            value = tuple(_list(value, key))
        elif target == "depth":
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ContractConfigError(f"{where}contract {label!r}: depth must be an integer") from None
        elif target == "unmatched_ignore_imports_alerting":
            value = str(value).strip().lower()
            if value not in _ALERTS:
                raise ContractConfigError(f"{where}contract {label!r}: {key} must be one of {', '.join(_ALERTS)}")
        elif isinstance(value, list):
            value = "\n".join(map(str, value))
        elif not isinstance(value, str):
            raise ContractConfigError(f"{where}contract {label!r}: {key} must be text, got {value!r}")
        if target == "container" and isinstance(value, tuple):
            value = value[0] if len(value) == 1 else value
        values[target] = value
    try:
        return cls(**values)
    except TypeError as exc:
        missing = sorted(f.name for f in fields(cls) if f.name not in values
                         and f.default is MISSING and f.default_factory is MISSING)
        raise ContractConfigError(f"{where}contract {label!r} ({kind}): missing "
                                  f"{', '.join(missing) or 'options'} ({exc})") from None


def _options(session: dict[str, Any], *, where: str, workbench: bool) -> Options:
    unknown = set(session) - _SESSION - {"contract_types", "contracts"}
    if unknown:
        key = sorted(unknown)[0]
        raise ContractConfigError(f"{where}unknown top-level option {key!r}{_suggest(key, _SESSION)}")
    if "contract_types" in session:
        raise ContractConfigError(f"{where}custom contract types (contract_types) cannot be checked "
                                  "by the workbench; remove them or check them with lint-imports")
    roots = _list(session.get("root_packages", []), "root_packages")
    if "root_package" in session:
        roots = [*_list(session["root_package"], "root_package"), *roots]
    if not roots and not workbench:
        raise ContractConfigError(f"{where}root_package or root_packages is required")
    external = _bool(session.get("include_external_packages", workbench), "include_external_packages")
    contexts = _list(session.get("exclude_contexts", []), "exclude_contexts")
    if _bool(session.get("exclude_type_checking_imports", False), "exclude_type_checking_imports"):
        contexts.append("type_checking")
    from .graph import CONTEXTS
    bad = [c for c in contexts if c not in CONTEXTS]
    if bad:
        raise ContractConfigError(f"{where}exclude_contexts: unknown {bad[0]!r}; one of {', '.join(CONTEXTS)}")
    return Options(tuple(roots), external, tuple(dict.fromkeys(contexts)))


def parse_workbench_toml(text: str, *, where: str = "") -> ContractSet:
    """The workbench's TOML: top-level options and ``[[contracts]]`` tables."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContractConfigError(f"{where}invalid contracts TOML: {exc}") from None
    tables = data.pop("contracts", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ContractConfigError(f"{where}'contracts' must be an array of tables ([[contracts]])")
    return ContractSet(tuple(contract_from_dict(t, where=where) for t in tables),
                       _options(data, where=where, workbench=True), where.rstrip(": "))


def parse_pyproject(text: str, *, where: str = "pyproject.toml: ") -> ContractSet | None:
    """``[tool.importlinter]`` of a pyproject.toml (None when it has none)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContractConfigError(f"{where}invalid TOML: {exc}") from None
    session = dict(data.get("tool", {}).get("importlinter", {}) or {})
    if not session:
        return None
    tables = session.pop("contracts", [])
    return ContractSet(tuple(contract_from_dict(t, where=where, strict=False) for t in tables),
                       _options(session, where=where, workbench=False), where.rstrip(": "))


def parse_ini(text: str, *, where: str = "") -> ContractSet | None:
    """The ``[importlinter]`` sections of a setup.cfg or .importlinter (None without them)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise ContractConfigError(f"{where}invalid INI: {exc}") from None
    if "importlinter" not in parser.sections():
        return None

    def clean(section: str) -> dict[str, Any]:
        return {k: (v.strip().split("\n") if "\n" in v else v) for k, v in parser[section].items()}

    contracts = []
    for section in parser.sections():
        if section.startswith("importlinter:"):
            spec = {"id": section.split(":")[-1], **clean(section)}
            contracts.append(contract_from_dict(spec, where=where, strict=False))
    return ContractSet(tuple(contracts), _options(clean("importlinter"), where=where, workbench=False),
                       where.rstrip(": "))


def parse_file_text(filename: str, text: str) -> ContractSet | None:
    """Contracts from one file's text, by its name; None if it holds no contracts section."""
    where = f"{filename}: "
    base = Path(filename).name
    if base == "pyproject.toml":
        return parse_pyproject(text, where=where)
    if base.endswith(".toml"):
        data_has_tool = "[tool.importlinter" in text and "[[contracts]]" not in text
        return parse_pyproject(text, where=where) if data_has_tool else parse_workbench_toml(text, where=where)
    return parse_ini(text, where=where)


def select(contracts: "ContractSet | Sequence[Contract]", wanted: Sequence[str]) -> ContractSet:
    """The contracts whose id (or name) is in ``wanted``, in file order (lint-imports'
    ``--contract``); an unknown id is an error naming the closest ones."""
    chosen = contracts if isinstance(contracts, ContractSet) else ContractSet(tuple(contracts))
    known = {c.id for c in chosen.contracts if c.id} | {c.label() for c in chosen.contracts}
    for key in wanted:
        if key not in known:
            raise ContractConfigError(f"no contract with id or name {key!r}{_suggest(key, known)}")
    keep = tuple(c for c in chosen.contracts if c.id in wanted or c.label() in wanted)
    return ContractSet(keep, chosen.options, chosen.source)


def parse_text(text: str) -> ContractSet:
    """Contracts from text in any of the formats, told apart by their section headers."""
    if "[importlinter]" in text or "[importlinter:" in text:
        found = parse_ini(text, where="text: ")
    elif "[tool.importlinter" in text:
        found = parse_pyproject(text, where="text: ")
    else:
        found = parse_workbench_toml(text)
    if found is None:
        raise ContractConfigError("no contracts in the text")
    return found


def load(path: str | Path) -> ContractSet:
    """Contracts from a file: the workbench's TOML, a pyproject.toml, setup.cfg or .importlinter."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractConfigError(f"cannot read contracts from {path}: {exc}") from None
    found = parse_file_text(str(path), text)
    if found is None:
        raise ContractConfigError(f"{path} holds no import-linter configuration ([importlinter] "
                                  "or [tool.importlinter]) and no [[contracts]]")
    return found


def find_in(read: Callable[[str], bytes | None], names: Sequence[str] = CONFIG_FILES) -> ContractSet | None:
    """The first contracts configuration among ``names`` (``read`` gives a file's bytes or None)."""
    for name in names:
        data = read(name)
        if data is None:
            continue
        text = data.decode("utf-8", errors="replace")
        if name != WORKBENCH_FILE and "importlinter" not in text:
            continue  # a setup.cfg or pyproject.toml of other tools only (even malformed)
        found = parse_file_text(name, text)
        if found is not None and (found.contracts or name == WORKBENCH_FILE):
            return found
    return None
