"""Locations, refs and names are validated before git ever runs."""

from __future__ import annotations

import pytest

from workbench.errors import InvalidProjectName, InvalidRef, UnsafeSource
from workbench.repos.sources import parse_source, redact, validate_name, validate_ref


@pytest.mark.parametrize(
    "location, fragment",
    [
        ("ext::sh -c touch% /tmp/pwned", "remote-helper"),
        ("fd::17", "remote-helper"),
        ("EXT::sh", "remote-helper"),
        ("-oProxyCommand=touch /tmp/x", "start with '-'"),
        ("--upload-pack=touch /tmp/x", "start with '-'"),
        ("ssh://-oProxyCommand=touch%20x/repo", "host"),
        ("https://example.com/$HOME/repo.git", "'$'"),
        ("https://example.com/`id`/repo.git", "backticks"),
        ("http://example.com/repo.git", "only https"),
        ("ftp://example.com/repo.git", "only https"),
        ("https:///repo.git", "host"),
        ("https://example.com/", "repository path"),
        ("https://example.com/repo\n.git", "control characters"),
        ("", "no repository"),
        ("/definitely/not/here", "no repository at"),
    ],
)
def test_refused_locations_say_why(location, fragment):
    with pytest.raises(UnsafeSource) as err:
        parse_source(location)
    assert fragment in str(err.value)


def test_credentials_in_urls_are_refused_and_never_echoed():
    with pytest.raises(UnsafeSource) as err:
        parse_source("https://alice:s3cret-token@example.com/org/repo.git")
    message = str(err.value)
    assert "s3cret-token" not in message and "alice" not in message
    assert "--token-env VAR" in message  # the way the README gives for a private repository
    with pytest.raises(UnsafeSource) as err:
        parse_source("https://ghp_abcdef@example.com/org/repo.git")
    assert "ghp_abcdef" not in str(err.value)


@pytest.mark.parametrize(
    "location, secret",
    [
        ("https://user:p@ss@example.com/org/repo.git", "ss@"),
        ("https://user:p@ss@example.com/org/repo.git", "p@ss"),
        ("https://a:b@c@d@example.com/org/repo.git", "c@d"),
        ("https://example.com/org/repo.git?token=s3cret", "s3cret"),
        ("https://example.com/org/repo.git?access_token=s3cret&x=1", "s3cret"),
        ("https://example.com/org/repo?private_token=s3cret", "s3cret"),
        ("https://example.com/org/repo.git#s3cret", "s3cret"),
        ("ssh://git@example.com/org/repo.git?token=s3cret", "s3cret"),
        ("alice:s3cret@example.com:org/repo.git", "s3cret"),
        ("https://user:pa/ss@example.com/org/repo.git", "pa/ss"),
        ("https://user:s3cret@example.com:99999/org/repo.git", "s3cret"),
    ],
)
def test_secrets_anywhere_in_a_url_are_refused_and_never_echoed(location, secret):
    with pytest.raises(UnsafeSource) as err:
        parse_source(location)
    assert secret not in str(err.value)
    assert all(secret not in str(value) for value in err.value.fields.values())
    for origin in ("agent", "webhook"):
        with pytest.raises(UnsafeSource) as err:
            parse_source(location, origin=origin)
        assert secret not in str(err.value)


def test_redact_removes_query_fragment_and_userinfo_to_the_last_at():
    assert redact("https://user:p@ss@host/x") == "https://***@host/x"
    assert redact("fatal: 'https://host/x?token=abc&y=2' not found") == \
        "fatal: 'https://host/x?***' not found"
    assert redact("see https://host/x#frag and https://host/y") == "see https://host/x#*** and https://host/y"
    assert redact("alice:pw@host:repo.git") == "***@host:repo.git"
    assert redact("git@host:repo.git") == "git@host:repo.git"


def test_redact_removes_userinfo_everywhere():
    text = "fatal: unable to access 'https://bob:pw@host/x.git/' and ssh://git:pw2@h/y"
    assert redact(text) == "fatal: unable to access 'https://***@host/x.git/' and ssh://***@h/y"


@pytest.mark.parametrize(
    "location, kind",
    [
        ("https://github.com/pallets/flask.git", "url"),
        ("https://github.com/pallets/flask", "url"),
        ("ssh://git@github.com/pallets/flask.git", "url"),
        ("git@github.com:pallets/flask.git", "url"),
    ],
)
def test_accepted_urls(location, kind):
    source = parse_source(location)
    assert source.kind == kind and source.location == location


def test_local_paths_must_be_git_repositories(tmp_path, sample_repo):
    assert parse_source(str(sample_repo)).kind == "path"
    assert parse_source(f"file://{sample_repo}").location == str(sample_repo)
    (tmp_path / "plain").mkdir()
    with pytest.raises(UnsafeSource, match="not a git repository"):
        parse_source(str(tmp_path / "plain"))
    # a directory of a repository is not one: the message points at the repository itself
    with pytest.raises(UnsafeSource, match=f"inside the git repository '{sample_repo}'"):
        parse_source(str(sample_repo / "src" / "shop"))


def test_default_names_come_from_the_location():
    assert parse_source("https://github.com/pallets/flask.git").default_name == "flask"
    assert parse_source("git@github.com:psf/requests.git").default_name == "requests"


@pytest.mark.parametrize("ref", ["main", "v1.2.3", "release/2.x", "feature/a-b_c", "0123abcd", "HEAD",
                                 "HEAD~3", "main^", "main^2", "v1.0~1^2", "0123abcd~", "HEAD~~"])
def test_plain_refs_and_their_ancestors_pass(ref):
    assert validate_ref(ref) == ref


@pytest.mark.parametrize(
    "ref", ["--output=/tmp/x", "-u/p", "main..evil", "HEAD@{1}", "a//b", "/abs", "x.lock",
            "has space", "semi;colon", "$(id)", "", ".hidden", "a/.b", "tail/", "~2", "^",
            "-x~1", "main~2..HEAD", "HEAD^{tree}", "HEAD:path", "main~x", "main^-1"],
)
def test_refs_that_git_could_misread_are_refused(ref):
    with pytest.raises(InvalidRef):
        validate_ref(ref)


@pytest.mark.parametrize("name", ["", "-x", "a b", "x" * 65, "../etc", "a/b", ".hidden"])
def test_invalid_project_names(name):
    with pytest.raises(InvalidProjectName):
        validate_name(name)


def test_valid_project_names():
    assert validate_name("flask") == "flask"
    assert validate_name("my_repo-2.0") == "my_repo-2.0"
