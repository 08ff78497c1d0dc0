"""A repository with known answers for search: each query below has one right file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit, init_repo, write

FILES = {
    "src/net/__init__.py": "",
    "src/net/retry.py": '''"""Calling flaky things again."""
import time


def retry_with_backoff(func, attempts=3, base_delay=0.5):
    """Call func again after a failure, waiting longer each time (exponential backoff)."""
    for attempt in range(attempts):
        try:
            return func()
        except OSError:
            time.sleep(base_delay * 2 ** attempt)
    raise RuntimeError("gave up")
''',
    "src/net/http_client.py": '''"""A small HTTP client."""
from .retry import retry_with_backoff


class HttpClient:
    """Talks to one web server."""

    def __init__(self, base_url):
        self.base_url = base_url

    def get(self, url):
        """Send an HTTP GET request and return the response body."""
        return retry_with_backoff(lambda: self._send("GET", url))

    def _send(self, method, url):
        return method + " " + self.base_url + url


def parseHeaderLine(line):
    """Split one 'Name: value' header line into a pair."""
    name, _, value = line.partition(":")
    return name.strip(), value.strip()
''',
    "src/store/__init__.py": "",
    "src/store/cache.py": '''"""In-memory caching."""
from collections import OrderedDict


class LRUCache:
    """Keep the most recently used items; evict the least recently used one when full."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.items = OrderedDict()

    def put(self, key, value):
        self.items[key] = value
        self.items.move_to_end(key)
        if len(self.items) > self.capacity:
            self.items.popitem(last=False)
''',
    "src/auth/__init__.py": "",
    "src/auth/tokens.py": '''"""Tokens."""
import hmac


def verify_jwt_token(token, secret):
    """Check the signature and the expiry date of a JSON web token."""
    header, payload, signature = token.split(".")
    return hmac.compare_digest(signature, secret)
''',
    "web/slug.ts": '''export function makeSlug(title: string): string {
  // lower case, words joined by hyphens, for URLs
  return title.toLowerCase().split(" ").join("-");
}
''',
    "docs/guide.md": '''# Guide

Welcome.

## Installing

Run pip install netkit.

## Configuring the cache

Set the capacity of the LRU cache in settings.toml.
''',
    "settings.toml": "[cache]\ncapacity = 128\n",
    "tests/test_retry.py": '''from net.retry import retry_with_backoff


def test_retry_with_backoff():
    assert retry_with_backoff(lambda: 1) == 1
''',
}


@pytest.fixture
def known_repo(tmp_path: Path) -> Path:
    """Two commits: the network code, then the cache, auth, docs and config."""
    return build_known_repo(tmp_path)


def build_known_repo(root: Path) -> Path:
    """The known repository under ``root``: the network code, then the rest."""
    repo = init_repo(root / "netkit")
    first = {k: v for k, v in FILES.items() if k.startswith(("src/net", "tests/"))}
    write(repo, first)
    commit(repo, "Add an HTTP client with exponential backoff retries", "2026-01-01T10:00:00+00:00")
    write(repo, {k: v for k, v in FILES.items() if k not in first})
    commit(repo, "Add an LRU cache, token checks, a slug helper and the guide",
           "2026-01-02T10:00:00+00:00")
    return repo


@pytest.fixture(scope="module")
def known_index(tmp_path_factory):
    """The known repository mapped and indexed as project ``netkit`` once per test module,
    for a module's read-only searches."""
    from workbench import Workbench

    root = tmp_path_factory.mktemp("search")
    bench = Workbench(root / "data")
    bench.map(str(build_known_repo(root)), name="netkit")
    bench.index("netkit", wait=True)
    yield bench
    bench.close()


@pytest.fixture
def indexed(wb, known_repo):
    """The known repository mapped and indexed as project ``netkit``."""
    wb.map(str(known_repo), name="netkit")
    wb.index("netkit", wait=True)
    return wb
