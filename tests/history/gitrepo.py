"""Build real git repositories for tests, with fixed identities and dates."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitRepo:
    """A throwaway repository driven through the git command line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
        base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        base.update(GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1", **(env or {}))
        result = subprocess.run(
            ["git", "-C", str(self.path), *args], env=base, capture_output=True, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"git {args} failed: {result.stderr.decode()}")
        return result.stdout.decode().strip()

    def write(self, relpath: str, content: str | bytes) -> None:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)

    def commit(
        self,
        message: str,
        author: tuple[str, str],
        date: str,
        committer: tuple[str, str] | None = None,
        commit_date: str | None = None,
        extra: tuple[str, ...] = (),
    ) -> str:
        """Commit everything in the work tree; return the new commit's sha."""
        committer = committer or author
        env = {
            "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1],
            "GIT_COMMITTER_DATE": commit_date or date,
        }
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, *extra, env=env)
        return self.head()

    def merge(self, branch: str, message: str, author: tuple[str, str], date: str, resolve: dict[str, str]) -> str:
        """Merge ``branch``, resolving conflicts with ``resolve`` (path -> content)."""
        env = {"GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1], "GIT_COMMITTER_DATE": date}
        self.git("merge", "--no-ff", "--no-commit", branch, env=env, check=False)
        assert (self.path / ".git" / "MERGE_HEAD").exists(), "merge did not start"
        for relpath, content in resolve.items():
            self.write(relpath, content)
        return self.commit(message, author, date)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")
