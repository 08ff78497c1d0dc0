"""Private repositories: a token named by its environment variable, sent only through askpass.

Every test here talks to a real HTTPS git server on 127.0.0.1 (``git http-backend`` behind
Basic auth, TLS from a throwaway CA; see ``tests/git_https.py``) with the real git client.
"""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.git_https import GitHttpsServer, upstream_and_served
from tests.helpers import commit, git, invoke_cli, run_cli, write
from workbench.errors import AuthenticationFailed, ConfigError, CredentialsMissing, UnsafeSource
from workbench.repos.credentials import Credentials, askpass
from workbench.repos.git import Git

TOKEN = "tok-4f9c2a7e1b8d3c6f0a5e"
VAR = "WB_TEST_REPO_TOKEN"


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A private repository served over HTTPS; git trusts the CA, no token set yet."""
    repo, root = upstream_and_served(tmp_path, "private.git")
    monkeypatch.delenv(VAR, raising=False)
    with GitHttpsServer(root, tmp_path, username="x-access-token", token=TOKEN) as server:
        server.trust(monkeypatch)
        server.upstream = repo
        yield server


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """This process's temporary directory, empty, so what askpass leaves behind can be seen."""
    path = tmp_path / "tmp"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


def _db_bytes(wb) -> bytes:
    wb.store.db.release()
    path = Path(wb.store.path)
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def test_a_private_repository_is_cloned_and_fetched_with_the_token_from_the_environment(
        wb, served, monkeypatch, private_tmp):
    monkeypatch.setenv(VAR, TOKEN)
    project = wb.add_project("private", served.url("private.git"), token_env=VAR)
    assert (project.token_env, project.username) == (VAR, "x-access-token")
    snap = wb.map("private")
    assert snap.commit == git(served.upstream, "rev-parse", "HEAD")
    assert "app.main" in set(snap.nodes["id"])
    assert served.expected_authorization in served.seen.authorizations
    # the next map fetches, with the token again
    write(served.upstream, {"app/extra.py": "from app import main\n"})
    new = commit(served.upstream, "extra")
    git(served.upstream, "push", "-q", str(Path(served.root) / "private.git"), "main")
    assert wb.map("private").commit == new
    assert list(private_tmp.iterdir()) == []  # the askpass script and its directory are gone


def test_the_token_is_never_stored_nor_on_any_command_line_nor_traced(
        wb, served, monkeypatch, tmp_path):
    monkeypatch.setenv(VAR, TOKEN)
    trace, curl_trace = tmp_path / "trace.txt", tmp_path / "curl.txt"
    monkeypatch.setenv("GIT_TRACE", str(trace))  # every process git starts, with its argv
    monkeypatch.setenv("GIT_TRACE_CURL", str(curl_trace))  # every HTTP header git sends
    wb.add_project("private", served.url("private.git"), token_env=VAR)
    wb.map("private")

    argv_log = trace.read_text()
    assert "askpass" in argv_log and f"'Password for '\\''https://x-access-token@127.0.0.1:" \
        f"{served.port}'\\'': '" in argv_log  # git really asked our helper, by argv ...
    assert TOKEN not in argv_log  # ... and no process had the token as an argument
    headers = curl_trace.read_text()
    assert "Authorization: Basic <redacted>" in headers
    encoded = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert TOKEN not in headers and encoded not in headers
    command = Git().command(["clone", "--", served.url("private.git"), "x"])
    assert not any(TOKEN in arg for arg in command)
    with askpass(Credentials(VAR), served.url("private.git")) as options:
        assert not any(TOKEN in arg for arg in Git().command(["fetch"], options))
        assert options.env["WORKBENCH_ASKPASS_PASSWORD"] == TOKEN  # the child's env only
    assert "WORKBENCH_ASKPASS_PASSWORD" not in os.environ

    data = _db_bytes(wb)
    assert VAR.encode() in data  # the reference is stored ...
    assert TOKEN.encode() not in data and encoded.encode() not in data  # ... the secret is not


def test_a_missing_variable_fails_before_git_runs_and_names_it(wb, served):
    wb.add_project("private", served.url("private.git"), token_env=VAR)
    with pytest.raises(CredentialsMissing, match=f"export {VAR}") as err:
        wb.map("private")
    assert err.value.variable == VAR
    assert served.seen.paths == []  # nothing was even asked of the server
    assert not wb.clones.exists("private")
    assert wb.recent_jobs(1)[0].status == "failed"


def test_a_wrong_token_fails_clearly_and_the_message_holds_no_secret(wb, served, monkeypatch):
    wrong = "wrong-7c1d9e4b2a6f8035"
    monkeypatch.setenv(VAR, wrong)
    wb.add_project("private", served.url("private.git"), token_env=VAR)
    with pytest.raises(AuthenticationFailed) as err:
        wb.map("private")
    message = str(err.value)
    assert "Authentication failed" in message and f"${VAR}" in message
    assert wrong not in message and TOKEN not in message
    job = wb.recent_jobs(1)[0]
    assert job.status == "failed" and wrong not in job.error  # not retried: not transient
    assert job.attempts == 1
    assert wrong.encode() not in _db_bytes(wb)
    assert not wb.clones.exists("private")


def test_a_private_repository_without_credentials_says_how_to_add_them(wb, served):
    with pytest.raises(AuthenticationFailed, match="project credentials private --token-env"):
        wb.map(served.url("private.git"), name="private")


def test_a_redirect_to_another_host_gets_no_password(wb, served, monkeypatch):
    monkeypatch.setenv(VAR, TOKEN)
    wb.add_project("moved", served.url("moved/private.git"), token_env=VAR)
    with pytest.raises(AuthenticationFailed):
        wb.map("moved")
    assert any(p.startswith("/private.git/") for p in served.seen.paths)  # redirect followed
    assert set(served.seen.authorizations) == {None}  # ... but nobody got the token


def test_the_askpass_helper_answers_only_its_own_site(tmp_path, monkeypatch):
    monkeypatch.setenv(VAR, TOKEN)
    with askpass(Credentials(VAR, "ci-bot"), "https://git.example.com:8443/org/repo.git") as opts:
        script = Path(opts.env["GIT_ASKPASS"])
        assert stat.S_IMODE(script.stat().st_mode) == 0o700
        assert stat.S_IMODE(script.parent.stat().st_mode) == 0o700
        assert TOKEN not in script.read_text()

        def ask(prompt: str) -> subprocess.CompletedProcess:
            env = {"PATH": os.environ["PATH"], **opts.env}
            return subprocess.run([str(script), prompt], env=env, capture_output=True, text=True)

        assert ask("Username for 'https://git.example.com:8443': ").stdout == "ci-bot\n"
        assert ask("Password for 'https://ci-bot@git.example.com:8443': ").stdout == f"{TOKEN}\n"
        for other in ("Password for 'https://ci-bot@evil.example:8443': ",
                      "Password for 'https://ci-bot@git.example.com': ",
                      "Password for 'https://ci-bot@git.example.com:8443.evil.example': ",
                      "Password: "):
            answer = ask(other)
            assert answer.returncode != 0 and answer.stdout == ""
    assert not script.exists() and not script.parent.exists()


@pytest.mark.parametrize("token_env, fragment", [
    ("MY-TOKEN", "not an environment variable name"),
    ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "looks like a token itself"),
    ("f3a9c1e07b5d2468a1c3e5f7092b4d6e", "looks like a token itself"),
    ("$GITHUB_TOKEN", "not an environment variable name"),
    ("GITHUB_TOKEN\n", "not an environment variable name"),  # a pasted line end
])
def test_a_token_given_in_place_of_its_variable_is_refused_and_never_echoed(wb, token_env,
                                                                            fragment):
    with pytest.raises(ConfigError, match="not the token itself|looks like a token") as err:
        wb.add_project("x", "https://example.com/org/repo.git", token_env=token_env)
    assert fragment in str(err.value) and token_env not in str(err.value)
    assert wb.projects() == []


def test_credentials_go_only_with_https_and_only_from_a_person(wb, sample_repo):
    with pytest.raises(UnsafeSource, match="only over https"):
        wb.add_project("a", "git@github.com:org/repo.git", token_env=VAR)
    with pytest.raises(UnsafeSource, match="only over https"):
        wb.add_project("b", str(sample_repo), token_env=VAR)
    for origin in ("agent", "webhook"):
        with pytest.raises(UnsafeSource, match="only a person"):
            wb.add_project("c", "https://93.184.215.14/org/repo.git", origin=origin,
                           token_env="AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ConfigError, match="user name without"):
        wb.add_project("d", "https://example.com/org/repo.git", username="bot")
    assert wb.projects() == []
    assert Credentials("HF_TOKEN").token_env == "HF_TOKEN"  # real names pass
    with pytest.raises(ConfigError, match="invalid user name"):
        Credentials("HF_TOKEN", "bot\n")


def test_credentials_can_be_named_cleared_and_renamed_later(wb, served, monkeypatch):
    wb.add_project("private", served.url("private.git"))
    with pytest.raises(AuthenticationFailed):
        wb.map("private")
    monkeypatch.setenv("OTHER_TOKEN", TOKEN)
    assert wb.set_credentials("private", "OTHER_TOKEN", "x-access-token").token_env == "OTHER_TOKEN"
    assert wb.map("private").commit == git(served.upstream, "rev-parse", "HEAD")
    cleared = wb.set_credentials("private", None)
    assert (cleared.token_env, cleared.username) == (None, None)


def test_redact_removes_secrets_as_well_as_url_credentials():
    from workbench.repos.sources import redact

    assert redact("remote: bad token tok-123 for https://u:p@h/x", ["tok-123"]) == \
        "remote: bad token *** for https://***@h/x"


def test_cli_registers_shows_and_clears_credentials(tmp_path, served):
    data = tmp_path / "data"
    env = {"GIT_SSL_CAINFO": str(served.ca_file), "NO_PROXY": "*"}
    add = run_cli("project", "add", "private", served.url("private.git"), "--token-env", VAR,
                  data_dir=data, env=env)
    assert add.returncode == 0, add.stderr
    assert f"token from ${VAR}" in add.stdout and f"${VAR} is not set here" in add.stderr
    show = invoke_cli("project", "show", "private", data_dir=data)
    assert f"credentials:    ${VAR} (user name x-access-token)" in show.stdout
    missing = invoke_cli("map", "private", data_dir=data, env=env)
    assert missing.returncode == 1 and f"export {VAR}" in missing.stderr
    mapped = invoke_cli("map", "private", data_dir=data, env={**env, VAR: TOKEN})
    assert mapped.returncode == 0, mapped.stderr
    assert TOKEN not in mapped.stdout + mapped.stderr
    cleared = invoke_cli("project", "credentials", "private", "--clear", data_dir=data)
    assert cleared.returncode == 0 and "no credentials" in cleared.stdout
    both = invoke_cli("project", "credentials", "private", data_dir=data)
    assert both.returncode != 0 and "--token-env VAR or --clear" in both.stderr
    token = invoke_cli("project", "credentials", "private", "--token-env",
                    "ghp_16C7e42F292c6912E7710c838347Ae178B4a", data_dir=data)
    assert token.returncode == 1 and "ghp_16C7" not in token.stderr
