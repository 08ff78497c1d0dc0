"""Validation of what users hand to git: repository locations, refs and project names.

Everything here runs before git does. A location is one of

* an ``https://`` URL or an ``ssh://`` / scp-like (``git@host:owner/repo.git``) URL,
* a local directory (or ``file://`` URL) holding a git repository, which is *cloned* with
  ``--no-local`` like a remote, never opened in place,

and anything else — ``ext::`` and ``fd::`` transports, option-like strings, shell
metacharacters, credentials in the URL — is refused with :class:`~workbench.errors.UnsafeSource`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

from ..errors import InvalidProjectName, InvalidRef, UnsafeSource

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SCP_RE = re.compile(r"^(?P<user>[A-Za-z0-9._-]+@)?(?P<host>[A-Za-z0-9.-]+):(?P<path>[^:\\]+)$")
_HOST_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_SHA_RE = re.compile(r"^[0-9a-f]{7,64}$")
_REF_CHARS = re.compile(r"^[A-Za-z0-9._/+@-]+$")
#: ``scheme://userinfo@``: the user info runs to the *last* ``@`` before the path, query or
#: fragment (``https://user:p@ss@host`` has the password ``p@ss``).
_CREDENTIALS_RE = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/?#\s'\"]*@", re.IGNORECASE)
#: A URL's query string and fragment (``?token=…``, ``#access_token=…``), up to a quote or space.
_QUERY_RE = re.compile(r"(?P<url>[a-z][a-z0-9+.-]*://[^?#\s'\"]*)(?P<mark>[?#])[^\s'\"]*",
                       re.IGNORECASE)
#: scp-like ``user:password@host:path``: a colon in the part before the ``@``.
_SCP_SECRET_RE = re.compile(r"^[^/@\s]*:[^/\s]*@")


@dataclass(frozen=True)
class Source:
    """A validated repository location.

    ``location`` is what git is given; ``display`` is safe to store and show.
    """

    kind: str  # "url" or "path"
    location: str

    @property
    def display(self) -> str:
        return self.location

    @property
    def default_name(self) -> str:
        tail = self.location.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        if tail.endswith(".git"):
            tail = tail[:-4]
        cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", tail).strip("-._") or "project"
        return cleaned[:64]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret a URL inside it may carry replaced by ``***``: the user info
    (``https://user:p@ss@host`` → ``https://***@host``), the query string and the fragment
    (``https://host/x?token=abc`` → ``https://host/x?***``), a scp-like location's
    ``user:password@``; and every occurrence of each of ``secrets``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _CREDENTIALS_RE.sub(lambda m: f"{m.group('scheme')}***@", text)
    text = _QUERY_RE.sub(lambda m: f"{m.group('url')}{m.group('mark')}***", text)
    return _SCP_SECRET_RE.sub("***@", text)


def validate_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidProjectName(
            f"invalid project name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            project=name,
        )
    return name


#: Who asked for a location. Only a person at the keyboard may name local or internal hosts.
ORIGINS = ("user", "agent", "webhook")


def parse_source(raw: str, *, base_dir: Path | None = None, origin: str = "user") -> Source:
    """Classify and validate a repository location; raise :class:`UnsafeSource` when refused.

    With ``origin="agent"`` or ``"webhook"`` (a location nobody at the keyboard typed) local
    paths are refused, and so are hosts that are or resolve to loopback, link-local, private,
    unspecified or multicast addresses, so a request cannot make the workbench reach into its
    own machine or network. Such a location must be an https URL: the name is resolved again
    and checked when git connects, and git is pinned to the checked address
    (:mod:`.pinning`), which ssh — resolving names itself, through ``~/.ssh/config`` aliases
    and proxy commands too — does not allow.
    """
    if origin not in ORIGINS:
        raise UnsafeSource(f"unknown origin {origin!r}; use one of {', '.join(ORIGINS)}")
    source = _parse_source(raw, base_dir=base_dir)
    if origin != "user":
        _check_remote_only(source, origin)
    return source


def _check_remote_only(source: Source, origin: str) -> None:
    shown = redact(source.location)
    if source.kind == "path":
        raise UnsafeSource(f"refused {shown!r}: a location from an {origin} must be an https "
                           "URL, not a local path", source=shown, origin=origin)
    if "://" in source.location:
        host = urlsplit(source.location).hostname or ""
    else:
        host = _SCP_RE.match(source.location).group("host")
    problem = _internal_host(host)
    if problem:
        raise UnsafeSource(f"refused {shown!r}: host {host!r} {problem}; a location from an "
                           f"{origin} must name a public host", source=shown, origin=origin)
    if not source.location.lower().startswith("https://"):
        raise UnsafeSource(
            f"refused {shown!r}: a location from an {origin} must be an https URL; ssh resolves "
            "the host itself (through ~/.ssh/config aliases and proxy commands too), so the "
            "address checked here could not be the one it connects to. Register the ssh URL "
            "yourself (origin='user') if you trust it", source=shown, origin=origin)


def internal_address(text: str) -> str | None:
    """Why an IP address (in any form git accepts) is not public, or ``None`` when it is."""
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        try:  # 127.1, 0x7f.0.0.1, 2130706433: forms inet_aton (and so git) accepts
            addr = ipaddress.ip_address(socket.inet_aton(text))
        except OSError:
            return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    for test, what in ((addr.is_loopback, "loopback"), (addr.is_link_local, "link-local"),
                       (addr.is_unspecified, "unspecified"), (addr.is_multicast, "multicast"),
                       (addr.is_private, "private"), (addr.is_reserved, "reserved")):
        if test:
            return f"is a {what} address ({addr})"
    return None


def _internal_host(host: str) -> str | None:
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "is the local machine"
    problem = internal_address(host)
    if problem:
        return problem
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None  # does not resolve here; git will fail on it the same way
    for info in infos:
        problem = internal_address(info[4][0].split("%")[0])
        if problem:
            return f"resolves to an address that {problem.removeprefix('is ')}"
    return None


def _parse_source(raw: str, *, base_dir: Path | None = None) -> Source:
    if not isinstance(raw, str) or not raw.strip():
        raise UnsafeSource("no repository given: pass an https/ssh URL or a local path")
    text = raw.strip()
    shown = redact(text)
    if "://" not in text and _SCP_SECRET_RE.match(text):
        raise UnsafeSource(
            f"refused {shown!r}: a password in a location would be stored and logged; use an "
            "ssh key, or an https URL with --token-env naming the token's variable", source=shown)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise UnsafeSource(f"refused {shown!r}: control characters are not allowed", source=shown)
    if text.startswith("-"):
        raise UnsafeSource(
            f"refused {shown!r}: a location may not start with '-' (git would read it as an option)",
            source=shown,
        )
    if "$" in text or "`" in text:
        raise UnsafeSource(
            f"refused {shown!r}: '$' and backticks are not allowed in a repository location",
            source=shown,
        )
    lowered = text.lower()
    if re.match(r"^[a-z0-9+.-]+::", lowered):
        raise UnsafeSource(
            f"refused {shown!r}: git remote-helper transports such as ext:: and fd:: can run "
            "commands; use an https or ssh URL or a local path",
            source=shown,
        )
    if "://" in text:
        return _parse_url(text, shown, base_dir)
    scp = _SCP_RE.match(text)
    if scp and not Path(text).exists() and "/" not in text.split(":", 1)[0]:
        host = scp.group("host")
        if host.startswith("-") or not _HOST_RE.match(host):
            raise UnsafeSource(f"refused {shown!r}: not a valid ssh host", source=shown)
        if scp.group("path").startswith("-"):
            raise UnsafeSource(f"refused {shown!r}: the path may not start with '-'", source=shown)
        return Source("url", text)
    return _parse_path(text, base_dir)


def _parse_url(text: str, shown: str, base_dir: Path | None) -> Source:
    try:
        parts = urlsplit(text)
        port = parts.port  # noqa: F841 - validates the port
    except ValueError:
        # the message would quote the bad part, which may be a piece of a password
        scheme = text.split("://", 1)[0]
        raise UnsafeSource(f"refused '{scheme}://***': not a valid URL (check its host and "
                           "port)", source=f"{scheme}://***") from None
    scheme = parts.scheme.lower()
    if parts.query or parts.fragment or text.rstrip().endswith(("?", "#")):
        raise UnsafeSource(
            f"refused {shown!r}: a repository URL takes no query string or fragment (a token "
            "there, ?token=… or ?access_token=…, would be stored, logged and shown); remove it "
            "and name the token's environment variable with --token-env instead", source=shown)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise UnsafeSource(f"refused {shown!r}: file URLs must name a local path", source=shown)
        return _parse_path(parts.path, base_dir)
    if scheme not in ("https", "ssh"):
        raise UnsafeSource(
            f"refused {shown!r}: only https:// and ssh:// URLs (or local paths) are supported",
            source=shown,
        )
    host = parts.hostname or ""
    if not host or host.startswith("-") or not _HOST_RE.match(host):
        raise UnsafeSource(f"refused {shown!r}: the URL has no valid host name", source=shown)
    if scheme == "https" and (parts.username or parts.password):
        raise UnsafeSource(
            f"refused {shown!r}: credentials in the URL would be stored and logged; remove them "
            "and name the variable that holds the token instead: `workbench project add NAME "
            "URL --token-env VAR [--username U]` (see Private repositories in the README)",
            source=shown,
        )
    if scheme == "ssh" and parts.password:
        raise UnsafeSource(
            f"refused {shown!r}: a password in an ssh URL is not allowed; use an ssh key",
            source=shown,
        )
    if parts.username and parts.username.startswith("-"):
        raise UnsafeSource(f"refused {shown!r}: the user name may not start with '-'", source=shown)
    if parts.path.startswith("/-") or not parts.path.strip("/"):
        raise UnsafeSource(f"refused {shown!r}: the URL has no valid repository path", source=shown)
    return Source("url", text)


def _parse_path(text: str, base_dir: Path | None) -> Source:
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    path = path.resolve()
    if not path.is_dir():
        raise UnsafeSource(
            f"no repository at {str(path)!r}: give an https/ssh URL or the path of a local git "
            "repository",
            source=str(path),
        )
    if not is_repository(path):
        enclosing = next((p for p in path.parents if is_repository(p)), None)
        if enclosing is not None:  # a map covers a whole repository, never a part of one
            raise UnsafeSource(
                f"{str(path)!r} is a directory inside the git repository {str(enclosing)!r}; "
                f"map the repository (`workbench map {enclosing}`), and leave out what you do not "
                "want with --exclude",
                source=str(path),
            )
        raise UnsafeSource(
            f"{str(path)!r} is not a git repository (no .git); run `git init` there or give "
            "another path",
            source=str(path),
        )
    return Source("path", str(path))


def is_repository(path: Path) -> bool:
    """A work tree (``.git`` in it) or a bare repository."""
    return (path / ".git").exists() or (path / "HEAD").is_file() and (path / "objects").is_dir()


#: Ancestry operators git reads after a revision: ``~N`` (N generations back along first
#: parents, ``~`` alone is ``~1``) and ``^N`` (the Nth parent, ``^`` alone is ``^1``).
_ANCESTRY = re.compile(r"(?:[~^][0-9]{0,6})+$")


def ancestry_steps(ancestry: str) -> list[str]:
    """``["~2", "^2"]`` for ``~2^2``: the operators of :func:`split_ancestry`'s second part."""
    return re.findall(r"[~^][0-9]*", ancestry)


def split_ancestry(ref: str) -> tuple[str, str]:
    """``("main", "~2^2")`` for ``main~2^2``: the ref name and the ancestry operators after
    it (``""`` when there are none)."""
    found = _ANCESTRY.search(ref)
    return (ref, "") if found is None else (ref[:found.start()], ref[found.start():])


def validate_ref(ref: str) -> str:
    """Accept a plain branch or tag name or a commit id, with ancestry operators after it
    (``HEAD~3``, ``main^2``, ``v1.0~1``); refuse anything git could misread."""
    if not isinstance(ref, str) or not ref:
        raise InvalidRef("empty ref: give a branch, tag or commit id", ref=ref)
    name, ancestry = split_ancestry(ref)
    if ancestry and not name:
        raise InvalidRef(f"refused ref {ref!r}: give a branch, tag or commit id before "
                         f"{ancestry[0]!r} (as in HEAD~3)", ref=ref)
    problem = None
    ref_given, ref = ref, name
    if ref.startswith("-"):
        problem = "it starts with '-' and would be read as an option"
    elif not _REF_CHARS.match(ref):
        problem = ("only letters, digits and . _ / + @ - are allowed, and ~N or ^N after "
                   "the name")
    elif ".." in ref or "@{" in ref or "//" in ref:
        problem = "'..', '@{' and '//' are not allowed (ranges and reflog expressions are not refs)"
    elif ref.startswith("/") or ref.endswith("/") or ref.endswith(".") or ref.endswith(".lock"):
        problem = "a ref may not start or end with '/', end with '.' or '.lock'"
    elif any(part.startswith(".") for part in ref.split("/")):
        problem = "no path component may start with '.'"
    if problem:
        raise InvalidRef(f"refused ref {ref_given!r}: {problem}", ref=ref_given)
    return ref_given


def is_commit_id(ref: str) -> bool:
    return bool(_SHA_RE.match(ref))
