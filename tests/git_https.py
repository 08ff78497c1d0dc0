"""A real HTTPS git server on 127.0.0.1 for tests: ``git http-backend``, behind Basic auth
when given a token.

Python's threaded ``http.server`` runs git's own smart-HTTP CGI program for every request, over
TLS with a certificate from a throwaway ``trustme`` CA, and (with a token) answers 401 to any
request whose ``Authorization`` header is not the expected user and token. Git is told to trust the CA through
``GIT_SSL_CAINFO`` (see :meth:`GitHttpsServer.trust`), so the client side is the real thing too:
git, libcurl, TLS verification, the 401 challenge and its credential prompts.
"""

from __future__ import annotations

import base64
import os
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import trustme

from tests.helpers import commit, git, init_repo, write

#: Names the server certificate is valid for; ``repo.test`` resolves nowhere and is reached only
#: when git is told its address (``http.curloptResolve``).
CERT_NAMES = ("127.0.0.1", "localhost", "repo.test")


def _http_backend() -> str:
    exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True,
                               check=True).stdout.strip()
    return str(Path(exec_path) / "git-http-backend")


def upstream_and_served(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A small Python repository, and a directory serving a bare copy of it as ``name``."""
    repo = init_repo(tmp_path / "upstream")
    write(repo, {"app/__init__.py": "", "app/main.py": "import os\nfrom app import util\n",
                 "app/util.py": "X = 1\n"})
    commit(repo, "start")
    root = tmp_path / "served"
    root.mkdir()
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(root / name))
    return repo, root


@dataclass
class Seen:
    """What the server saw: one entry per request."""

    paths: list[str] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: "_TlsServer"

    def log_message(self, format, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        backend = self.server.backend
        auth = self.headers.get("Authorization")
        backend.seen.paths.append(self.path)
        backend.seen.authorizations.append(auth)
        if self.path.startswith("/moved/"):  # a repository that moved to another host name
            self.send_response(301)
            self.send_header("Location", backend.url(self.path.removeprefix("/moved/"),
                                                     host="localhost"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if backend.expected_authorization and auth != backend.expected_authorization:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        parts = urlsplit(self.path)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(backend.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "REMOTE_USER": backend.username,
            "REMOTE_ADDR": self.client_address[0],
            "HTTP_GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        body = self._body()
        env["CONTENT_LENGTH"] = str(len(body))
        out = subprocess.run([_http_backend()], input=body, env=env, capture_output=True,
                             timeout=60).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = out.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, backend: "GitHttpsServer", context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.backend = backend
        self.context = context

    def finish_request(self, request, client_address) -> None:
        # the TLS handshake runs in the request's own thread, never in the accept loop
        with self.context.wrap_socket(request, server_side=True) as tls:
            self.RequestHandlerClass(tls, client_address, self)

    def handle_error(self, request, client_address) -> None:
        pass  # clients that give up mid-handshake are part of some tests


class GitHttpsServer:
    """Serves every repository under ``root`` at ``https://127.0.0.1:PORT/NAME``.

    ``/moved/NAME`` answers with a redirect to ``https://localhost:PORT/NAME``: the same server
    under another host name, as a repository moved to another host would look to git.
    """

    def __init__(self, root: Path, ca_dir: Path, *, username: str = "anonymous",
                 token: str | None = None) -> None:
        self.root = Path(root)
        self.username = username
        self.expected_authorization = None if token is None else "Basic " + base64.b64encode(
            f"{username}:{token}".encode()).decode()
        self.seen = Seen()
        ca = trustme.CA()
        self.ca_file = Path(ca_dir) / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*CERT_NAMES).configure_cert(context)
        self._server = _TlsServer(self, context)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, name: str, host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}/{name}"

    def trust(self, monkeypatch) -> None:
        """Make git (run by this process and its children) trust the server's CA, no proxy."""
        monkeypatch.setenv("GIT_SSL_CAINFO", str(self.ca_file))
        for var in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy",
                    "ALL_PROXY"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("NO_PROXY", "*")

    def __enter__(self) -> "GitHttpsServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
