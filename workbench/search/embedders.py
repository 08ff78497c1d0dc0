"""The embedder port, its adapters and their registry.

An embedder turns texts into unit-length float32 vectors::

    class Embedder(Protocol):
        name: str        # stored with the vectors: a different name is a different index
        dim: int
        def embed(self, texts: list[str]) -> numpy.ndarray: ...   # (len(texts), dim) float32

Adapters, chosen by a spec string (``Config.embedder``, ``WORKBENCH_EMBEDDER``):

``wordllama`` (default)
    WordLlama's ``l2_supercat`` static token embeddings (256 dimensions), averaged over the
    text's tokens. The weights and the tokenizer ship inside the ``wordllama`` wheel, so it runs
    offline with nothing downloaded; it captures word meaning (``retry`` near ``attempt``,
    ``http`` near ``request``), not word order.
``model2vec:PATH`` / ``sentence-transformers:PATH``
    A model saved in a local directory (``pip install 'workbench[embeddings]'``); never fetched.
``openai:MODEL``
    An OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, Ollama, vLLM, llama.cpp server)
    at ``Config.embeddings_url``, with the key read from the environment variable named by
    ``Config.embeddings_key_env`` when it is set.

``register(prefix, factory)`` adds an adapter: ``factory(argument, config) -> Embedder``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from typing import TYPE_CHECKING, Any, Callable, Protocol, runtime_checkable

from .errors import EmbedderUnavailable

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from ..config import Config

EMBED_CHARS = 1_000  # static embeddings average tokens: the head of a chunk says what it is


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> "np.ndarray": ...


Factory = Callable[[str, "Config | None"], Embedder]
_FACTORIES: dict[str, Factory] = {}
_INSTANCES: dict[tuple, Embedder] = {}
_LOCK = threading.Lock()


def register(prefix: str, factory: Factory) -> None:
    """Make ``prefix`` or ``prefix:ARGUMENT`` name an embedder built by ``factory``."""
    _FACTORIES[prefix] = factory


def known() -> list[str]:
    return sorted(_FACTORIES)


def get_embedder(name: str | None = None, config: "Config | None" = None) -> Embedder:
    """The embedder a spec names (None: the configured one, ``wordllama`` by default).

    Instances are kept per process: loading a model happens once.
    Raises :class:`EmbedderUnavailable` for an unknown name or one that cannot run here.
    """
    spec = name or (getattr(config, "embedder", None) if config is not None else None) or "wordllama"
    prefix, _, argument = spec.partition(":")
    factory = _FACTORIES.get(prefix)
    if factory is None:
        raise EmbedderUnavailable(
            f"no embedder named {prefix!r}; known: {', '.join(known())} "
            "(set WORKBENCH_EMBEDDER, e.g. model2vec:/path/to/model)", embedder=spec)
    key = (spec, getattr(config, "embeddings_url", None),
           getattr(config, "embeddings_key_env", None))
    with _LOCK:
        if key not in _INSTANCES:
            _INSTANCES[key] = factory(argument, config)
        return _INSTANCES[key]


def table_name(embedder_name: str, dim: int) -> str:
    """The DuckDB table holding an embedder's vectors (``FLOAT[dim]``)."""
    slug = re.sub(r"[^a-z0-9]+", "_", embedder_name.lower()).strip("_")[:30]
    digest = hashlib.sha1(embedder_name.encode()).hexdigest()[:8]
    return f"embeddings_{slug}_{digest}_{dim}"


def _normalise(vectors: "np.ndarray") -> "np.ndarray":
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


def _in_batches(texts: list[str], size: int, run: Callable[[list[str]], Any],
                dim: int) -> "np.ndarray":
    """Embed in batches of similar length (less padding), rows back in the caller's order."""
    import numpy as np

    out = np.zeros((len(texts), dim), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for s in range(0, len(order), size):
        idx = order[s:s + size]
        out[idx] = run([texts[i][:EMBED_CHARS] or " " for i in idx])
    return _normalise(out)


# -- wordllama ----------------------------------------------------------------------------------

class WordLlamaEmbedder:
    """WordLlama ``l2_supercat`` (256-d) loaded from the files inside its wheel, offline."""

    def __init__(self, dim: int = 256) -> None:
        try:
            root = logging.getLogger()
            handlers, level = list(root.handlers), root.level
            import wordllama
            from wordllama import WordLlama
        except ImportError as exc:
            raise EmbedderUnavailable(
                "the default embedder needs the wordllama package; run `pip install -e .` "
                "(or pip install wordllama)", embedder="wordllama") from exc
        finally:  # wordllama configures the root logger when imported; undo that
            root.handlers[:] = handlers
            root.setLevel(level)
        from pathlib import Path

        package = Path(wordllama.__file__).parent
        try:  # cache_dir at the package: its tokenizer is found there, nothing is downloaded
            self._model = WordLlama.load(config="l2_supercat", dim=dim, cache_dir=package,
                                         disable_download=True)
        except (FileNotFoundError, OSError) as exc:
            raise EmbedderUnavailable(
                f"wordllama's shipped weights were not found in {package} ({exc}); reinstall "
                "it: pip install --force-reinstall wordllama", embedder="wordllama") from exc
        self.dim = dim
        self.name = f"wordllama-l2_supercat-{dim}"

    def embed(self, texts: list[str]) -> "np.ndarray":
        return _in_batches(list(texts), 64,
                           lambda batch: self._model.embed(batch, norm=False), self.dim)


# -- local models -------------------------------------------------------------------------------

def _local_path(kind: str, argument: str):
    from pathlib import Path

    if not argument:
        raise EmbedderUnavailable(f"{kind} needs a local model directory: {kind}:/path/to/model",
                                  embedder=kind)
    path = Path(argument).expanduser()
    if not path.is_dir():
        raise EmbedderUnavailable(
            f"no model directory at {path}; save the model there first (models are never "
            "downloaded at run time)", embedder=f"{kind}:{argument}")
    return path.absolute()


def _missing_extra(package: str, spec: str, exc: ImportError) -> EmbedderUnavailable:
    return EmbedderUnavailable(
        f"the {spec} embedder needs {package}: pip install 'workbench[embeddings]'",
        embedder=spec)


class Model2VecEmbedder:
    """A model2vec static model from a local directory."""

    def __init__(self, argument: str) -> None:
        path = _local_path("model2vec", argument)
        try:
            from model2vec import StaticModel
        except ImportError as exc:
            raise _missing_extra("model2vec", "model2vec", exc) from exc
        try:
            self._model = StaticModel.from_pretrained(str(path))
        except Exception as exc:  # noqa: BLE001 - a broken model directory, in any library's words
            raise EmbedderUnavailable(f"cannot load the model2vec model at {path}: {exc}",
                                      embedder=f"model2vec:{path}") from exc
        self.dim = int(self._model.dim)
        self.name = f"model2vec:{path}"

    def embed(self, texts: list[str]) -> "np.ndarray":
        return _in_batches(list(texts), 256, self._model.encode, self.dim)


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local directory (runs on the CPU)."""

    def __init__(self, argument: str) -> None:
        path = _local_path("sentence-transformers", argument)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise _missing_extra("sentence-transformers", "sentence-transformers", exc) from exc
        try:
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001
            raise EmbedderUnavailable(f"cannot load the sentence-transformers model at {path}: "
                                      f"{exc}", embedder=f"sentence-transformers:{path}") from exc
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self.name = f"sentence-transformers:{path}"

    def embed(self, texts: list[str]) -> "np.ndarray":
        return _in_batches(list(texts), 64, lambda b: self._model.encode(b), self.dim)


# -- OpenAI-compatible endpoint -----------------------------------------------------------------

class OpenAIEmbedder:
    """``POST {base_url}/embeddings`` through the official ``openai`` client.

    ``dim`` is learnt from the first answer (one short request when asked before any).
    Connection errors, refusals and malformed answers raise :class:`EmbedderUnavailable`.
    """

    def __init__(self, model: str, *, base_url: str | None, api_key: str | None,
                 timeout: float = 60.0, batch: int = 128) -> None:
        if not model:
            raise EmbedderUnavailable("name the model: openai:MODEL (e.g. openai:nomic-embed-text)",
                                      embedder="openai")
        try:
            from openai import OpenAI
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise EmbedderUnavailable("the openai package is missing; run `pip install -e .`",
                                      embedder=f"openai:{model}") from exc
        self.model = model
        self.base_url = base_url
        self.batch = batch
        self._client = OpenAI(base_url=base_url, api_key=api_key or "unused", timeout=timeout,
                              max_retries=2)
        self.name = f"openai:{model}@{base_url or 'api.openai.com'}"
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self._request(["dimension probe"]).shape[1])
        return self._dim

    def _request(self, texts: list[str]) -> "np.ndarray":
        import numpy as np
        import openai

        try:
            reply = self._client.embeddings.create(model=self.model, input=texts)
            rows = sorted(reply.data, key=lambda d: d.index)
            vectors = np.asarray([r.embedding for r in rows], dtype=np.float32)
        except openai.APIError as exc:
            raise EmbedderUnavailable(
                f"the embeddings endpoint {self.base_url or 'of OpenAI'} failed for model "
                f"{self.model!r}: {exc}. Check WORKBENCH_EMBEDDINGS_URL, the model name and the "
                "key", embedder=self.name) from exc
        except (TypeError, ValueError) as exc:
            raise EmbedderUnavailable(f"the embeddings endpoint answered malformed vectors: {exc}",
                                      embedder=self.name) from exc
        if vectors.ndim != 2 or len(vectors) != len(texts):
            raise EmbedderUnavailable(
                f"the embeddings endpoint answered {len(vectors)} vectors for {len(texts)} texts",
                embedder=self.name)
        return vectors

    def embed(self, texts: list[str]) -> "np.ndarray":
        import numpy as np

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._request([t[:EMBED_CHARS * 4] or " " for t in texts[s:s + self.batch]])
                 for s in range(0, len(texts), self.batch)]
        vectors = np.vstack(parts)
        self._dim = vectors.shape[1]
        return _normalise(vectors)


def _openai_factory(argument: str, config: "Config | None") -> Embedder:
    import os

    url = getattr(config, "embeddings_url", None)
    key_env = getattr(config, "embeddings_key_env", None)
    return OpenAIEmbedder(argument, base_url=url,
                          api_key=os.environ.get(key_env) if key_env else None)


register("wordllama", lambda argument, config: WordLlamaEmbedder(int(argument or 256)))
register("model2vec", lambda argument, config: Model2VecEmbedder(argument))
register("sentence-transformers", lambda argument, config: SentenceTransformerEmbedder(argument))
register("openai", _openai_factory)
