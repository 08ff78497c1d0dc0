"""DNS rebinding protection: git connects to the address that was checked, nothing else.

A location from an agent or a webhook may not name an internal host (see
:func:`.sources.parse_source`), but that check resolves the name once, when the location is
registered, and git resolves it again when it connects — minutes or months later. A name whose
DNS answer changes in between (DNS rebinding: public when checked, ``127.0.0.1`` or
``169.254.169.254`` when used) would slip through. So for such projects every clone and fetch

1. resolves the host again, here, and refuses (:class:`~workbench.errors.UnsafeSource`) when any
   address it resolves to is loopback, link-local, private, unspecified, multicast or reserved;
2. pins git to exactly those addresses with ``-c http.curloptResolve=HOST:PORT:ADDR[,ADDR]``
   (git >= 2.37 hands it to libcurl's ``CURLOPT_RESOLVE``), so git does not resolve the name
   again; an older git is refused rather than trusted;
3. sets ``http.followRedirects=false``, since a redirect would name a host nobody checked.

Locations a person registered (``origin="user"``) are not touched: a mirror on this machine or
the company network is a normal thing for a person to map. Only https is pinned — agents and
webhooks may not give ssh locations at all, because ssh resolves names itself (through
``~/.ssh/config`` aliases and proxy commands too). With an https proxy configured the proxy
resolves the name, and the pin does not apply.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import GitNetworkError, UnsafeSource
from . import sources
from .git import NetworkOptions, git_version

#: The first git with ``http.curloptResolve``.
MIN_GIT = (2, 37)


@dataclass(frozen=True)
class Pin:
    """A host and port pinned to the addresses that were checked."""

    host: str
    port: int
    addresses: tuple[str, ...]

    def options(self) -> NetworkOptions:
        shown = ",".join(f"[{a}]" if ":" in a else a for a in self.addresses)
        return NetworkOptions(config={
            "http.curloptResolve": f"{self.host}:{self.port}:{shown}",
            "http.followRedirects": "false",
        })


def checked_pin(url: str, origin: str) -> Pin | None:
    """Resolve and check the host of ``url`` for a location from ``origin``; the pin to use.

    ``None`` for ``origin="user"`` (nothing is pinned) and for a host given as an IP address
    (nothing to resolve). Raises :class:`UnsafeSource` when the host now resolves to an internal
    address or the location is not https, and :class:`GitNetworkError` when it does not resolve.
    """
    if origin == "user":
        return None
    shown = sources.redact(url)
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise UnsafeSource(f"refused {shown!r}: a location from an {origin} must be an https "
                           "URL, so that git can be pinned to the checked address",
                           source=shown, origin=origin)
    host, port = parts.hostname, parts.port or 443
    if _is_ip_literal(host):
        _refuse_internal(shown, host, [host], origin)
        return None
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise GitNetworkError(f"could not resolve host {host!r} of {shown}: {exc}",
                              source=shown) from None
    addresses = list(dict.fromkeys(info[4][0].split("%")[0] for info in infos))
    _refuse_internal(shown, host, addresses, origin)
    if git_version() < MIN_GIT:
        have = ".".join(map(str, git_version())) or "unknown"
        raise UnsafeSource(
            f"refused {shown!r}: git {have} cannot be pinned to the checked address "
            f"(http.curloptResolve needs git {'.'.join(map(str, MIN_GIT))} or newer); upgrade "
            f"git to map locations from an {origin}", source=shown, origin=origin)
    return Pin(host, port, tuple(addresses))


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False  # a name, or a short form (127.1) that getaddrinfo reads as an address
    return True


def _refuse_internal(shown: str, host: str, addresses: list[str], origin: str) -> None:
    for address in addresses:
        problem = sources.internal_address(address)
        if problem:
            raise UnsafeSource(
                f"refused {shown!r}: as git is about to connect, host {host!r} resolves to an "
                f"address that {problem.removeprefix('is ')} (it was public when checked: DNS "
                f"rebinding?); a location from an {origin} must name a public host",
                source=shown, origin=origin, host=host)
