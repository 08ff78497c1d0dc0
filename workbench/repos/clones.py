"""Clone once, fetch afterwards: bare mirrors of project repositories under ``data/clones``.

Clones are bare (no working tree is ever checked out), so nothing in a repository's content —
symlinks, ``.gitattributes`` filters, a committed ``.git`` directory — touches the file system.
Files are read from the object database by blob sha. A clone is made in a temporary
directory and renamed into place only when complete, so a failed clone leaves nothing behind.
Clone and fetch are the only commands that reach the network; a project's credentials (see
:mod:`.credentials`) are handed to those two alone, and for locations from agents and webhooks
both are pinned to a freshly checked address (see :mod:`.pinning`).
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from ..errors import EmptyRepository, GitFailed, InvalidRef, SourceGone
from .credentials import DEFAULT_USERNAME, Credentials, askpass
from .git import DEFAULT_GIT_MEMORY, Git, NetworkOptions, TreeChange, TreeEntry
from .pinning import checked_pin
from .shallow import shallow_commits
from .sources import (Source, ancestry_steps, is_commit_id, is_repository, split_ancestry,
                      validate_ref)

if TYPE_CHECKING:  # pragma: no cover
    from ..domain import Project

_FETCH_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")


class Clones:
    """Keeps one bare clone per project and answers questions about its commits."""

    def __init__(self, root: Path, *, timeout: float = 600.0,
                 memory: int | None = DEFAULT_GIT_MEMORY) -> None:
        self.root = Path(root)
        self.timeout = timeout
        self.memory = memory

    def git(self, *, allow_file_protocol: bool = False) -> Git:
        """The guarded runner with this store's limits (``file://`` only for local sources)."""
        return Git(timeout=self.timeout, memory=self.memory,
                   allow_file_protocol=allow_file_protocol)

    def git_for(self, source: Source) -> Git:
        return self.git(allow_file_protocol=source.kind == "path")

    def path_for(self, project_name: str) -> Path:
        return self.root / f"{project_name}.git"

    def exists(self, project_name: str) -> bool:
        return (self.path_for(project_name) / "HEAD").is_file()

    def sync_project(self, project: "Project", *, deepen: int | None = None,
                     unshallow: bool = False) -> Path:
        """:meth:`sync` for a registered project, with the credentials and origin of its row."""
        return self.sync(project.name, Source(project.source_kind, project.source),
                         credentials=_credentials(project), origin=project.origin,
                         deepen=deepen, unshallow=unshallow)

    def sync(self, project_name: str, source: Source, *,
             credentials: Credentials | None = None, origin: str = "user",
             deepen: int | None = None, unshallow: bool = False) -> Path:
        """Clone the repository if this project has no clone yet, else fetch into it.

        ``origin`` is who gave the location: for ``"agent"`` and ``"webhook"`` the host is
        resolved and checked again now, and git is pinned to the checked address. A shallow
        clone (the source was one) fetches ``deepen`` more commits of history below its
        boundary, or all of it with ``unshallow``; a complete clone ignores both.
        """
        try:
            return self._sync(project_name, source, credentials, origin, deepen, unshallow)
        except GitFailed:
            _refuse_gone(project_name, source)
            raise

    def _sync(self, project_name: str, source: Source, credentials: Credentials | None,
              origin: str, deepen: int | None, unshallow: bool) -> Path:
        dest = self.path_for(project_name)
        git = self.git_for(source)
        if (dest / "HEAD").is_file():
            depth = _depth_options(dest, git, deepen, unshallow)
            with self._network(project_name, source, credentials, origin) as options:
                git.run(["fetch", "--prune", "--no-recurse-submodules", "--quiet", *depth,
                         "origin", *_FETCH_REFSPECS], cwd=dest,
                        what=f"fetching {source.display}", options=options)
            return dest
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{project_name}-", dir=self.root))
        try:
            with self._network(project_name, source, credentials, origin) as options:
                git.run(["clone", "--bare", "--no-local", "--quiet", "--", source.location,
                         str(tmp)], what=f"cloning {source.display}", options=options)
            for spec in _FETCH_REFSPECS:
                git.run(["config", "--add", "remote.origin.fetch", spec], cwd=tmp, what="configuring clone")
            depth = _depth_options(tmp, git, deepen, unshallow)
            if depth:
                with self._network(project_name, source, credentials, origin) as options:
                    git.run(["fetch", "--no-recurse-submodules", "--quiet", *depth, "origin",
                             *_FETCH_REFSPECS], cwd=tmp, what=f"deepening {source.display}",
                            options=options)
            if dest.exists():
                shutil.rmtree(dest)
            tmp.rename(dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return dest

    def fetch_pull_request(self, project: "Project", number: int) -> str:
        """Fetch a GitHub pull request's head (``refs/pull/N/head``, there for pull requests
        from forks too) into ``refs/workbench/pull/N`` of the project's clone, with the
        project's credentials and origin checks; returns that ref. Raises :class:`GitFailed`
        when the remote has no such ref (it is not GitHub, say)."""
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise InvalidRef(f"not a pull request number: {number!r}", ref=str(number))
        dest = self.sync_project(project)
        local = f"refs/workbench/pull/{number}"
        source = Source(project.source_kind, project.source)
        with self._network(project.name, source, _credentials(project),
                           project.origin) as options:
            self.git_for(source).run(
                ["fetch", "--no-recurse-submodules", "--quiet", "origin",
                 f"+refs/pull/{number}/head:{local}"], cwd=dest,
                what=f"fetching pull request #{number} of {source.display}", options=options)
        return local

    @contextmanager
    def _network(self, project_name: str, source: Source, credentials: Credentials | None,
                 origin: str) -> Iterator[NetworkOptions]:
        """Options for one clone or fetch: the pin to a checked address for agents' and
        webhooks' locations, the askpass answers when the project has a token."""
        pin = checked_pin(source.location, origin)
        options = pin.options() if pin else NetworkOptions()
        if origin != "user":  # a redirect names a host nobody checked (IP literals have no pin)
            options += NetworkOptions(config={"http.followRedirects": "false"})
        if credentials is None:
            yield options + NetworkOptions(auth_hint=(
                "if the repository is private, name the environment variable that holds a "
                f"token with `workbench project credentials {project_name} --token-env VAR`"))
            return
        with askpass(credentials, source.location) as secret_options:
            yield options + secret_options

    def remove(self, project_name: str) -> None:
        shutil.rmtree(self.path_for(project_name), ignore_errors=True)

    def default_branch(self, repo: Path) -> str | None:
        try:
            return self.git().run(
                ["symbolic-ref", "--quiet", "--short", "HEAD"], cwd=repo, what="reading HEAD"
            ).strip() or None
        except GitFailed:
            return None

    def resolve(self, repo: Path, ref: str | None) -> str:
        """Resolve a branch, tag or commit id (default: HEAD) to a full commit sha."""
        git = self.git()
        candidates: list[str]
        if ref is None:
            candidates = ["HEAD"]
        else:
            validate_ref(ref)
            name, ancestry = split_ancestry(ref)  # HEAD~3: HEAD's, then three back
            candidates = ([f"refs/heads/{ref}", f"refs/tags/{ref}", ref]
                          if not ref.startswith("refs/") else [ref])
            if is_commit_id(name):
                candidates = [ref, *candidates]
        for candidate in candidates:
            try:
                out = git.run(
                    ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{candidate}^{{commit}}"],
                    cwd=repo, what="resolving ref",
                )
            except GitFailed:
                continue
            if out.strip():
                return out.strip()
        shown = ref or "HEAD"
        if ref is not None and ancestry and name:
            try:
                start = self.resolve(repo, name)
            except InvalidRef:
                pass
            else:
                raise InvalidRef(_missing_ancestor(git, repo, ref, name, ancestry, start),
                                 ref=ref)
        if not git.run(["rev-list", "-n", "1", "--all"], cwd=repo, what="looking for commits").strip():
            raise EmptyRepository(
                "the repository has no commits yet; commit something there (`git commit`) "
                "and map it again", ref=shown)
        raise InvalidRef(
            f"ref {shown!r} does not name a commit in this repository; list branches with "
            "`git branch -a` in the source repository",
            ref=shown,
        )

    def tree(self, repo: Path, commit: str, *, max_entries: int | None = None,
             max_bytes: int | None = None) -> list[TreeEntry]:
        """Entries at ``commit``; over the limits raises RepositoryTooLarge before any read."""
        return self.git().ls_tree(repo, commit, max_entries=max_entries,
                                                 max_bytes=max_bytes)

    def read_blobs(self, repo: Path, shas):
        return self.git().read_blobs(repo, shas)

    def changes(self, repo: Path, old: str, new: str) -> Iterator[TreeChange]:
        """The paths that differ between commits ``old`` and ``new``, streamed in the tree's
        order (close the iterator to stop early); see :meth:`Git.diff_tree`."""
        return self.git().diff_tree(repo, old, new)

    def blob_sizes(self, repo: Path, shas: Iterable[str]) -> dict[str, int]:
        """sha -> size of the blobs ``shas``, their contents not read."""
        return self.git().blob_sizes(repo, shas)


def _missing_ancestor(git: Git, repo: Path, ref: str, name: str, ancestry: str,
                      commit: str) -> str:
    """Why ``ref`` (``name`` + ``ancestry``, ``name`` being ``commit``) names no commit: the
    first of its operators that leads nowhere, said in terms of that step's commit."""
    reached = name
    for step in ancestry_steps(ancestry):
        count = int(step[1:] or 1)
        following = git.run_raw(["rev-parse", "--verify", "--quiet", "--end-of-options",
                                 f"{commit}{step}^{{commit}}"], cwd=repo, what="resolving ref")
        if following.returncode == 0 and following.stdout.strip():
            commit, reached = following.stdout.decode().strip(), reached + step
            continue
        if step[0] == "~":
            back = int(git.run(["rev-list", "--count", "--first-parent", commit], cwd=repo,
                               what="counting commits").strip()) - 1
            return (f"ref {ref!r} goes back past the first commit: {reached} has {back} "
                    f"commit{'' if back == 1 else 's'} before it along first parents, so "
                    f"{reached}~{back} is the furthest back")
        parents = len(git.run(["rev-list", "--parents", "-n", "1", commit], cwd=repo,
                              what="reading parents").split()) - 1
        if parents == 0:
            return f"ref {ref!r}: {reached} is the first commit, it has no parent"
        return (f"ref {ref!r}: {reached} ({commit[:12]}) has {parents} "
                f"parent{'' if parents == 1 else 's'}, so it has no parent {count}"
                + (" (it is not a merge)" if parents == 1 else ""))
    return f"ref {ref!r} does not name a commit in this repository"


def _refuse_gone(project_name: str, source: Source) -> None:
    """Raise :class:`SourceGone` when ``source`` is a local path that no longer holds a git
    repository (git's own words for it name no cause and no fix)."""
    if source.kind != "path":
        return
    path = Path(source.location)
    if path.is_dir() and is_repository(path):
        return
    state = "is no longer a git repository (no .git)" if path.is_dir() else "no longer exists"
    raise SourceGone(
        f"the source of project {project_name}, {path}, {state}: it was moved or deleted. Put "
        f"the repository back there, or map it where it is now: `workbench project remove "
        f"{project_name}` (its snapshots go too), then `workbench map NEW_PATH --name "
        f"{project_name}`", project=project_name, source=str(path))


def _depth_options(repo: Path, git: Git, deepen: int | None, unshallow: bool) -> list[str]:
    """``fetch`` options that deepen a shallow clone as asked; none for a complete one (git
    refuses ``--unshallow`` there)."""
    if (deepen is None and not unshallow) or not shallow_commits(repo, git):
        return []
    return ["--unshallow"] if unshallow else [f"--deepen={int(deepen)}"]


def _credentials(project: "Project") -> Credentials | None:
    """The credentials a project's row names (the variable's name; never the token)."""
    return (Credentials(project.token_env, project.username or DEFAULT_USERNAME)
            if project.token_env else None)
