"""The embedder adapters against real things: an OpenAI-compatible ``/v1/embeddings`` server on
127.0.0.1 (Starlette + uvicorn in a thread) and a model2vec model saved in a local directory."""

from __future__ import annotations

import base64
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from workbench import Workbench
from workbench.config import Config
from workbench.search.embedders import Embedder, get_embedder
from workbench.search.errors import EmbedderUnavailable
from workbench.search.tokens import tokenize

DIM = 64
KEY = "sekret-key"


def _bag_of_words(text: str) -> list[float]:
    """A deterministic embedding: hashed term counts (texts sharing words are near)."""
    v = np.zeros(DIM, dtype=np.float32)
    for term in tokenize(text):
        v[zlib.crc32(term.encode()) % DIM] += 1.0
    return v.tolist()


class EmbeddingsServer:
    """A real HTTP server speaking the embeddings protocol; records what it was asked."""

    def __init__(self) -> None:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        self.requests: list[dict] = []
        self.fail_with: int | None = None

        async def embeddings(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append({"body": body, "auth": request.headers.get("authorization")})
            if request.headers.get("authorization") != f"Bearer {KEY}":
                return JSONResponse({"error": {"message": "Incorrect API key provided",
                                               "type": "invalid_request_error"}}, 401)
            if self.fail_with:
                return JSONResponse({"error": {"message": "overloaded"}}, self.fail_with)
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = []
            for i, text in enumerate(texts):
                vector = _bag_of_words(text)
                if body.get("encoding_format") == "base64":
                    vector = base64.b64encode(np.asarray(vector, "<f4").tobytes()).decode()
                data.append({"object": "embedding", "index": i, "embedding": vector})
            return JSONResponse({"object": "list", "data": data, "model": body["model"],
                                 "usage": {"prompt_tokens": 1, "total_tokens": 1}})

        import uvicorn

        app = Starlette(routes=[Route("/v1/embeddings", embeddings, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "EmbeddingsServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the embeddings server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def embeddings_server():
    with EmbeddingsServer() as server:
        yield server


def _config(data_dir: Path, url: str) -> Config:
    return Config(data_dir=data_dir, embedder="openai:tiny-embed", embeddings_url=url,
                  embeddings_key_env="TEST_EMBEDDINGS_KEY")


def test_an_openai_compatible_server_embeds_chunks_and_queries(data_dir, known_repo,
                                                               embeddings_server, monkeypatch):
    monkeypatch.setenv("TEST_EMBEDDINGS_KEY", KEY)
    with Workbench(config=_config(data_dir, embeddings_server.url)) as wb:
        wb.map(str(known_repo), name="netkit")
        result = wb.index("netkit", wait=True)
        assert result["embedder"] == f"openai:tiny-embed@{embeddings_server.url}"
        assert result["embedded_now"] == result["chunks"] > 10
        hits = wb.search("least recently used cache capacity", "netkit", mode="vector",
                         kinds=["code"])
        assert hits.iloc[0]["path"] == "src/store/cache.py" and hits["vector"].notna().all()
    asked = embeddings_server.requests
    assert all(r["auth"] == f"Bearer {KEY}" for r in asked)
    assert {r["body"]["model"] for r in asked} == {"tiny-embed"}
    assert asked[-1]["body"]["input"] == ["least recently used cache capacity"]
    tables = wb.store.search.embedders()
    assert tables["dim"].tolist() == [DIM]


def test_a_refused_key_or_a_missing_server_is_an_embedder_error(data_dir, embeddings_server,
                                                                monkeypatch):
    monkeypatch.setenv("TEST_EMBEDDINGS_KEY", "wrong")
    refused = get_embedder(None, _config(data_dir, embeddings_server.url))
    with pytest.raises(EmbedderUnavailable, match="Incorrect API key"):
        refused.embed(["hello"])
    monkeypatch.setenv("TEST_EMBEDDINGS_KEY", KEY)
    embeddings_server.fail_with = 500
    failing = get_embedder(None, Config(data_dir=data_dir, embedder="openai:other",
                                        embeddings_url=embeddings_server.url,
                                        embeddings_key_env="TEST_EMBEDDINGS_KEY"))
    with pytest.raises(EmbedderUnavailable, match="WORKBENCH_EMBEDDINGS_URL"):
        failing.embed(["hello"])
    gone = get_embedder(None, Config(data_dir=data_dir, embedder="openai:tiny-embed",
                                     embeddings_url="http://127.0.0.1:9/v1"))
    with pytest.raises(EmbedderUnavailable, match="failed"):
        gone.embed(["hello"])


def test_a_model2vec_model_from_a_local_directory(data_dir, known_repo, tmp_path):
    pytest.importorskip("model2vec")
    import wordllama
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(wordllama.__file__).parent / "tokenizers"
                                        / "l2_supercat_tokenizer_config.json"))
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((tokenizer.get_vocab_size(), 32)).astype(np.float32)
    StaticModel(vectors, tokenizer).save_pretrained(tmp_path / "tiny-m2v")
    with Workbench(config=Config(data_dir=data_dir, embedder=f"model2vec:{tmp_path / 'tiny-m2v'}")
                   ) as wb:
        embedder = get_embedder(None, wb.config)
        assert isinstance(embedder, Embedder) and embedder.dim == 32
        out = embedder.embed(["a cache", "a token"])
        assert out.shape == (2, 32) and out.dtype == np.float32
        assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
        wb.map(str(known_repo), name="netkit")
        hits = wb.search("LRUCache", "netkit", mode="hybrid")
        assert hits.iloc[0]["path"] == "src/store/cache.py"
        assert hits["vector"].notna().any()


def test_the_default_embedder_is_offline_and_normalised():
    embedder = get_embedder("wordllama")
    out = embedder.embed(["retry a failed request", "", "x" * 50_000])
    assert out.shape == (3, 256) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out[[0, 2]], axis=1), 1.0, atol=1e-5)
    near = embedder.embed(["try the request again after an error"])[0] @ out[0]
    far = embedder.embed(["colour of the sky at sunset"])[0] @ out[0]
    assert near > far
