"""Credentials for private repositories, by reference: a project names the environment variable
that holds its token, never the token.

A URL with a token in it would be stored, shown and logged, so such URLs are refused (see
:mod:`.sources`). Instead a project records the *name* of an environment variable (and a user
name, ``x-access-token`` by default, which GitHub and GitLab accept with any token). The
variable is read only when git needs it — a clone or fetch over https — and handed to that one
git process through ``GIT_ASKPASS``:

* git runs the askpass program directly (no shell), with the prompt as its only argument, and
  reads the answer from its stdout. The program is a five-line POSIX shell script written fresh,
  mode 0700, into a private (0700) temporary directory for each git command and removed after
  it. It holds no secret: it answers from variables set only in that git process's environment,
  with ``printf``, a shell builtin, so the secret is no other process's argument either.
* It answers exactly two prompts, ``Username for 'https://HOST[:PORT]': `` and
  ``Password for 'https://USER@HOST[:PORT]': `` for the project's own host, and fails on any
  other: a redirect to another host gets nothing.
* Configured credential helpers are switched off for the command, so none of them stores the
  token (``credential.helper=store`` would write it to ``~/.git-credentials``) or answers in its
  place; ``GIT_TERMINAL_PROMPT=0`` still holds, so a refused prompt fails at once.

So the secret is never in DuckDB, a file, a command line (``ps`` shows every process's argv to
every user), a URL, a log line or an error message (git's output is redacted of it).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from ..errors import ConfigError, CredentialsMissing, UnsafeSource
from .git import NetworkOptions
from .sources import Source

#: Accepted with a token as the password by GitHub and GitLab (and ignored by many others).
DEFAULT_USERNAME = "x-access-token"

_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_USERNAME_RE = re.compile(r"^[A-Za-z0-9._+@][A-Za-z0-9._+@-]{0,127}$")

_ASKPASS_SCRIPT = """#!/bin/sh
# Answers git's credential prompts for one site only; the values come from this process's
# environment (set for one git command by workbench), never from this file.
if [ "$1" = "$WORKBENCH_ASKPASS_PASSWORD_PROMPT" ]; then
    printf '%s\\n' "$WORKBENCH_ASKPASS_PASSWORD"
elif [ "$1" = "$WORKBENCH_ASKPASS_USERNAME_PROMPT" ]; then
    printf '%s\\n' "$WORKBENCH_ASKPASS_USERNAME"
else
    printf 'workbench: no credentials for this prompt: %s\\n' "$1" >&2
    exit 1
fi
"""


#: Prefixes of well-known token formats (GitHub, Hugging Face); tokens are lower case there.
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "hf_")


def _looks_like_a_token(name: str) -> bool:
    """Long names with a token format's prefix, or without word breaks, are tokens, not names."""
    return len(name) >= 24 and (name.startswith(_TOKEN_PREFIXES)
                                or ("_" not in name and any(c.isdigit() for c in name)))


@dataclass(frozen=True)
class Credentials:
    """Where a project's secret comes from: an environment variable's name and a user name."""

    token_env: str
    username: str = DEFAULT_USERNAME

    def __post_init__(self) -> None:
        # the value is never echoed: a user who typed --token-env "$GITHUB_TOKEN" gave the token
        if not isinstance(self.token_env, str) or not _ENV_NAME_RE.fullmatch(self.token_env):
            raise ConfigError(
                "the value given as the token's variable is not an environment variable name: "
                "give the NAME of the variable that holds the token (letters, digits and '_', "
                "e.g. GITHUB_TOKEN), not the token itself")
        if _looks_like_a_token(self.token_env):
            raise ConfigError(
                "the value given as the token's variable looks like a token itself; give the "
                "NAME of the variable that holds it (e.g. GITHUB_TOKEN); nothing was stored")
        if not isinstance(self.username, str) or not _USERNAME_RE.fullmatch(self.username):
            raise ConfigError(
                f"invalid user name {self.username!r}: use up to 128 letters, digits and . _ + @ -, "
                "not starting with '-'", username=self.username)

    def secret(self) -> str:
        """The token, read now; :class:`CredentialsMissing` when the variable is unset or empty."""
        value = os.environ.get(self.token_env)
        if not value:
            raise CredentialsMissing(
                f"the token for this repository is read from ${self.token_env}, which is not set "
                f"here; export {self.token_env} (a token with read access to the repository) "
                "and run again", variable=self.token_env)
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise CredentialsMissing(
                f"${self.token_env} holds control characters (a stray newline?); set it to the "
                "token alone and run again", variable=self.token_env)
        return value


def credentials_for(source: Source, token_env: str | None, username: str | None = None, *,
                    origin: str = "user") -> Credentials | None:
    """Validate a credentials reference for ``source``; ``None`` when no variable is named.

    Only a person (``origin="user"``) may attach credentials: a location from an agent or a
    webhook could otherwise send any variable of this process's environment to a host of its
    choosing. Tokens are for https; ssh authenticates with keys (ssh-agent).
    """
    if token_env is None:
        if username is not None:
            raise ConfigError("a user name without --token-env means nothing; name the variable "
                              "that holds the token too", username=username)
        return None
    shown = source.display
    if origin != "user":
        raise UnsafeSource(
            f"refused credentials for {shown!r}: only a person may attach credentials to a "
            f"project, not an {origin} (it could send any environment variable to a host it "
            "names); register the project yourself with --token-env", source=shown,
            origin=origin)
    if source.kind != "url" or urlsplit(source.location).scheme.lower() != "https":
        raise UnsafeSource(
            f"refused credentials for {shown!r}: a token is sent only over https; ssh "
            "repositories authenticate with keys (ssh-agent), local paths need none",
            source=shown)
    return Credentials(token_env, username or DEFAULT_USERNAME)


@contextmanager
def askpass(credentials: Credentials, url: str) -> Iterator[NetworkOptions]:
    """What one git command needs to answer its credential prompts for ``url`` from the token.

    The token is read first, so a missing variable raises before anything is written; the
    askpass script and its private directory are removed when the block ends.
    """
    secret = credentials.secret()
    site = urlsplit(url).netloc  # userinfo is refused in https URLs, so this is HOST[:PORT]
    user = credentials.username
    directory = tempfile.mkdtemp(prefix="workbench-askpass-")  # mode 0700, only ours
    try:
        script = Path(directory) / "askpass"
        fd = os.open(script, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o700)
        with os.fdopen(fd, "w") as out:
            out.write(_ASKPASS_SCRIPT)
        yield NetworkOptions(
            config={
                "credential.helper": "",  # no helper answers, and none stores the token
                "credential.username": user,  # wins over a user name from ~/.gitconfig
                "credential.useHttpPath": "false",  # prompts name the host, not the path
                "credential.interactive": "true",  # git >= 2.46 would skip askpass otherwise
            },
            env={
                "GIT_ASKPASS": str(script),
                "WORKBENCH_ASKPASS_USERNAME_PROMPT": f"Username for 'https://{site}': ",
                "WORKBENCH_ASKPASS_PASSWORD_PROMPT": f"Password for 'https://{user}@{site}': ",
                "WORKBENCH_ASKPASS_USERNAME": user,
                "WORKBENCH_ASKPASS_PASSWORD": secret,
                "GIT_TRACE_REDACT": "1",  # traces a user switched on never show the header
            },
            secrets=(secret,),
            auth_hint=(f"check that ${credentials.token_env} holds a token that may read the "
                       f"repository (sent with user name {user})"),
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
