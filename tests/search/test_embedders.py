"""The embedder adapters against real things: the OpenAI-compatible test server on 127.0.0.1
(``openai_server``) and a model2vec model saved in a local directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench import Workbench
from workbench.config import Config
from workbench.search.embedders import Embedder, get_embedder
from workbench.search.errors import EmbedderUnavailable

DIM = 64
MODEL = f"hash-embed-{DIM}"  # the test server answers DIM-dimensional vectors for this name


def _config(data_dir: Path, url: str, model: str = MODEL) -> Config:
    return Config(data_dir=data_dir, embedder=f"openai:{model}", embeddings_url=url,
                  embeddings_key_env="TEST_EMBEDDINGS_KEY")


def test_an_openai_compatible_server_embeds_chunks_and_queries(data_dir, known_repo,
                                                               openai_server, monkeypatch):
    monkeypatch.setenv("TEST_EMBEDDINGS_KEY", openai_server.api_key)
    with Workbench(config=_config(data_dir, openai_server.base_url)) as wb:
        wb.map(str(known_repo), name="netkit")
        result = wb.index("netkit", wait=True)
        assert result["embedder"] == f"openai:{MODEL}@{openai_server.base_url}"
        assert result["embedded_now"] == result["chunks"] > 10
        hits = wb.search("least recently used cache capacity", "netkit", mode="vector",
                         kinds=["code"])
        assert hits.iloc[0]["path"] == "src/store/cache.py" and hits["vector"].notna().all()
        assert wb.store.search.embedders()["dim"].tolist() == [DIM]
    asked = [r for r in openai_server.requests if r.path == "/v1/embeddings"]
    assert asked and all(r.headers["authorization"] == f"Bearer {openai_server.api_key}"
                         for r in asked)
    assert {r.json["model"] for r in asked} == {MODEL}
    assert asked[-1].json["input"] == ["least recently used cache capacity"]


def test_a_refused_key_or_a_missing_server_is_an_embedder_error(data_dir, openai_server,
                                                                monkeypatch):
    monkeypatch.setenv("TEST_EMBEDDINGS_KEY", "wrong")
    refused = get_embedder(None, _config(data_dir, openai_server.base_url))
    with pytest.raises(EmbedderUnavailable, match="Incorrect API key.*WORKBENCH_EMBEDDINGS_URL"):
        refused.embed(["hello"])
    gone = get_embedder(None, _config(data_dir, "http://127.0.0.1:9/v1", "other-8"))
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
