"""Embedding backends: ONNX int8 against sentence-transformers fp32, one backend per index, the Embedder protocol."""

import sqlite3
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from helpers import QA, SEEDS, HashEmbedder

from qa import Index
from qa.errors import QAError, StaleIndexError
from qa.evaluate import load_gold
from qa.models.embedding import BACKENDS, Embedder, TorchEmbedder, check_backend, encode_with_sentences, make_embedder
from qa.rank.sentences import split
from qa.store.database import DATABASE
from qa.store.layout import current_generation

QUESTIONS = [g.question for g in load_gold(SEEDS / "gold.jsonl")]


def test_unknown_backend_names_the_choices():
    with pytest.raises(QAError, match=r"Unknown backend 'fp8'\. Choose from: .*onnx-int8, sentence-transformers-fp32"):
        check_backend("fp8")


def test_backends_are_made_from_settings_and_follow_the_protocol(fake_settings):
    assert {"onnx-int8", "sentence-transformers-fp32"} <= BACKENDS.keys()
    fake = make_embedder(fake_settings)
    assert isinstance(fake, HashEmbedder) and isinstance(fake, Embedder)
    vectors = fake.encode(["a river", "a river", "mountains"])
    assert vectors.shape == (3, fake.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1) and np.allclose(vectors[0], vectors[1])


class _PlainEmbedder:
    """An embedder with nothing but the protocol's encode: its sentences must be embedded as texts of their own."""

    backend, dimension = "plain", HashEmbedder.dimension

    def __init__(self):
        self.inner, self.calls = HashEmbedder(), []

    def encode(self, texts):
        self.calls.append(list(texts))
        return self.inner.encode(texts)


def test_an_embedder_without_pooling_embeds_each_sentence_on_its_own():
    plain = _PlainEmbedder()
    texts = ["Rice grows in the delta. Tea grows in the hills.", "One sentence only."]
    spans = [split(t) for t in texts]
    vectors, sentences = encode_with_sentences(plain, texts, spans)
    assert plain.calls == [texts, ["Rice grows in the delta.", "Tea grows in the hills.", "One sentence only."]]
    assert vectors.shape == (2, plain.dimension) and [s.shape[0] for s in sentences] == [2, 1]
    np.testing.assert_allclose(sentences[0][1], plain.inner.encode(["Tea grows in the hills."])[0], atol=1e-6)


@pytest.mark.model
@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_pooled_sentence_vectors_come_from_the_passage_pass(embedder, settings, backend):
    model = embedder if backend == "onnx" else TorchEmbedder(settings.model)
    texts = ["Vietnam joined the WTO in 2007. It has signed 17 free trade agreements since then.",
             "The Politburo issued Resolution 59 on January 24, 2025."]
    spans = [split(t) for t in texts]
    vectors, sentences = model.encode_pooled(texts, spans)
    np.testing.assert_allclose(vectors, model.encode(texts), atol=1e-5)  # the passage vector is unchanged
    alone = model.encode([t[s:e] for t, sp in zip(texts, spans) for s, e in sp])
    pooled = np.vstack(sentences)
    assert pooled.shape == alone.shape and np.allclose(np.linalg.norm(pooled, axis=1), 1, atol=1e-5)
    # read in their passage, sentences keep their meaning: closer to themselves alone than to the other sentences
    cosines = pooled @ alone.T
    assert (cosines.argmax(axis=1) == np.arange(len(alone))).all() and cosines.diagonal().min() > 0.6
    if backend == "torch":  # both backends pool alike
        onnx_pooled = np.vstack(embedder.encode_pooled(texts, spans)[1])
        assert (onnx_pooled * pooled).sum(axis=1).min() > 0.97


def test_importing_qa_changes_no_environment_variable():
    code = ("import os; before = dict(os.environ); import qa, qa.models.embedding, qa.index, qa.service; "
            "print(sorted(set(os.environ.items()) ^ set(before.items())))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.model
def test_onnx_vectors_stay_close_to_sentence_transformers(seeds_index, embedder, settings):
    db = sqlite3.connect(current_generation(seeds_index) / DATABASE)
    texts = [t for (t,) in db.execute("SELECT text FROM passages ORDER BY id LIMIT 40")]
    db.close()
    texts += QUESTIONS[:20]
    cosines = (embedder.encode(texts) * TorchEmbedder(settings.model).encode(texts)).sum(axis=1)
    assert cosines.mean() >= 0.99 and cosines.min() >= 0.97


@pytest.mark.model
def test_a_backend_mismatch_is_a_clear_error(seeds_index, settings, embedder):
    other = replace(settings, backend="sentence-transformers-fp32")
    with pytest.raises(StaleIndexError, match="built with the onnx-int8 backend, but sentence-transformers-fp32"):
        Index.open(seeds_index, settings=other)
    with pytest.raises(QAError, match="built with the onnx-int8 backend"):  # even when freshness is not checked
        Index.open(seeds_index, settings=other, embedder=TorchEmbedder(settings.model), check=False)
    out = subprocess.run([QA, "ask", "Who issued Resolution 59?", "--index-dir", seeds_index, "--backend",
                          "sentence-transformers-fp32"], capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and "onnx-int8 backend" in out.stderr
    bad = subprocess.run([QA, "index", "--backend", "fp8", "--index-dir", seeds_index], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode != 0 and "Unknown backend 'fp8'. Choose from:" in bad.stderr
