"""DNS rebinding: locations from agents and webhooks are resolved again, checked and pinned
when git connects.

This process's resolver is replaced by a table the test controls (``socket.getaddrinfo``), so a
name can change its answer between registration and clone without any network. Git, a separate
process, never sees that table: it can reach the made-up ``repo.test`` only through the address
it is pinned to, which is how these tests show the pin is real. The server is the real HTTPS
git server of ``tests/git_https.py`` on 127.0.0.1.
"""

from __future__ import annotations

import socket

import pytest

from tests.git_https import GitHttpsServer, upstream_and_served
from tests.helpers import git
from workbench.errors import GitFailed, GitNetworkError, UnsafeSource
from workbench.repos import pinning, sources
from workbench.repos.git import Git
from workbench.repos.pinning import Pin, checked_pin
from workbench.repos.sources import parse_source

PUBLIC = "93.184.215.14"


@pytest.fixture
def dns(monkeypatch):
    """This process's resolver: names in the returned dict answer with its addresses."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            if str(host).endswith(".test"):  # never ask a real resolver about made-up names
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM,
                 socket.IPPROTO_TCP, "", (a, port or 0)) for a in table[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def public(tmp_path, monkeypatch):
    """A public (no login) repository served over HTTPS on 127.0.0.1; git trusts the CA."""
    repo, root = upstream_and_served(tmp_path, "public.git")
    with GitHttpsServer(root, tmp_path) as server:
        server.trust(monkeypatch)
        server.upstream = repo
        yield server


@pytest.fixture
def loopback_counts_as_public(monkeypatch):
    """Let 127.0.0.1 pass the checks, so an agent's location can reach the test server.

    Everything else — resolving, pinning, git — runs unchanged; only the verdict on that one
    address differs.
    """
    real = sources.internal_address
    monkeypatch.setattr(sources, "internal_address",
                        lambda text: None if text == "127.0.0.1" else real(text))


def test_curlopt_resolve_makes_git_connect_to_the_pinned_address(public):
    url = public.url("public.git", host="repo.test")  # a name no resolver knows
    with pytest.raises(GitNetworkError, match="resolve"):
        Git(timeout=60).run(["ls-remote", "--", url], what="listing")
    assert public.seen.paths == []
    pinned = Pin("repo.test", public.port, ("127.0.0.1",)).options()
    out = Git(timeout=60).run(["ls-remote", "--", url], what="listing", options=pinned)
    assert git(public.upstream, "rev-parse", "HEAD") in out and "refs/heads/main" in out
    assert public.seen.paths  # it reached the server, through the pin alone


def test_an_agents_location_is_cloned_through_the_checked_address(
        wb, public, dns, loopback_counts_as_public):
    dns["repo.test"] = ["127.0.0.1"]
    project = wb.add_project("pub", public.url("public.git", host="repo.test"), origin="agent")
    assert project.origin == "agent" and wb.project("pub").info.origin == "agent"
    snap = wb.map("pub")  # mapped by name: the stored origin decides, not the caller
    assert snap.commit == git(public.upstream, "rev-parse", "HEAD")
    # the same location from a person is not pinned, and git cannot resolve the made-up name
    with pytest.raises(GitNetworkError, match="resolve"):
        wb.clones.sync("unpinned", parse_source(public.url("public.git", host="repo.test")))


def test_a_name_that_rebinds_to_an_internal_address_is_refused_before_git_connects(
        wb, public, dns):
    dns["rebind.test"] = [PUBLIC]
    url = public.url("public.git", host="rebind.test")
    wb.add_project("hook", url, origin="webhook")  # public when checked
    dns["rebind.test"] = [PUBLIC, "127.0.0.1"]  # ... and internal by the time git connects
    with pytest.raises(UnsafeSource, match="DNS rebinding") as err:
        wb.map("hook")
    assert "127.0.0.1" in str(err.value) and "public host" in str(err.value)
    assert public.seen.paths == [] and not wb.clones.exists("hook")
    job = wb.recent_jobs(1)[0]
    assert job.status == "failed" and job.attempts == 1
    for internal in ("169.254.169.254", "10.1.2.3", "::1", "::ffff:127.0.0.1", "fe80::1"):
        dns["rebind.test"] = [internal]
        with pytest.raises(UnsafeSource, match="public host"):
            checked_pin(url, "agent")


def test_an_agents_location_does_not_follow_redirects(wb, public, dns,
                                                      loopback_counts_as_public):
    dns["repo.test"] = ["127.0.0.1"]
    wb.add_project("moved", public.url("moved/public.git", host="repo.test"), origin="agent")
    with pytest.raises(GitFailed):
        wb.map("moved")
    assert public.seen.paths == ["/moved/public.git/info/refs?service=git-upload-pack"]


def test_an_agents_location_given_as_an_address_does_not_follow_redirects(
        wb, public, loopback_counts_as_public):
    """An IP literal has nothing to resolve and no pin; redirects stay off all the same."""
    wb.add_project("moved-ip", public.url("moved/public.git", host="127.0.0.1"), origin="agent")
    with pytest.raises(GitFailed):
        wb.map("moved-ip")
    assert public.seen.paths == ["/moved/public.git/info/refs?service=git-upload-pack"]


def test_a_name_that_stops_resolving_is_a_network_error(tmp_path, dns):
    from workbench.repos.clones import Clones

    dns["gone.test"] = [PUBLIC]
    source = parse_source("https://gone.test/org/repo.git", origin="agent")
    del dns["gone.test"]  # and now it does not resolve
    with pytest.raises(GitNetworkError, match="could not resolve host 'gone.test'"):
        Clones(tmp_path / "clones").sync("gone", source, origin="agent")


def test_an_old_git_is_refused_for_agents_rather_than_trusted(wb, dns, monkeypatch):
    dns["code.test"] = [PUBLIC]
    monkeypatch.setattr(pinning, "git_version", lambda: (2, 36, 1))
    with pytest.raises(UnsafeSource, match="git 2.36.1 cannot be pinned.*upgrade git"):
        checked_pin("https://code.test/org/repo.git", "webhook")


def test_agents_and_webhooks_may_not_give_ssh_locations(wb, dns):
    dns["code.test"] = [PUBLIC]
    for location in ("ssh://git@code.test/org/repo.git", "git@code.test:org/repo.git"):
        for origin in ("agent", "webhook"):
            with pytest.raises(UnsafeSource, match="must be an https URL; ssh resolves"):
                wb.add_project("x", location, origin=origin)
    assert wb.projects() == []
    assert wb.add_project("x", "git@code.test:org/repo.git").origin == "user"  # a person may


def test_user_locations_are_neither_resolved_again_nor_pinned(dns):
    dns["mirror.test"] = ["10.0.0.5"]
    assert checked_pin("https://mirror.test/org/repo.git", "user") is None
    assert checked_pin("https://93.184.215.14/org/repo.git", "agent") is None  # nothing to resolve


def test_the_pin_lists_every_checked_address_and_brackets_ipv6():
    config = Pin("code.test", 8443, ("2606:4700::6810:84e5", PUBLIC)).options().config
    assert config == {"http.curloptResolve": f"code.test:8443:[2606:4700::6810:84e5],{PUBLIC}",
                      "http.followRedirects": "false"}
