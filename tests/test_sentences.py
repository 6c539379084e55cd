"""Sentence evidence: spans and terms of a passage's sentences, their int8 vectors, and their scores."""

import json

import numpy as np
import pytest

from qa.rank.answers import TermWeights
from qa.rank.sentences import Sentences, describe, pack, split, unpack


def test_int8_rows_keep_their_cosines():
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((50, 384)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    back = unpack(pack(rows), 50, 384)
    assert back.dtype == np.float32 and back.shape == rows.shape
    cosines = (back * rows).sum(1) / np.linalg.norm(back, axis=1)
    assert cosines.min() > 0.999
    assert len(pack(rows)) == 50 * (384 + 4)  # a quarter of float32, and a scale per row


def test_zero_and_empty_rows_survive_packing():
    assert unpack(pack(np.zeros((2, 8), dtype=np.float32)), 2, 8).tolist() == [[0.0] * 8] * 2
    assert unpack(pack(np.zeros((0, 8), dtype=np.float32)), 0, 8).shape == (0, 8)


def test_a_passage_is_split_into_sentences_with_their_terms():
    text = "Vietnam joined the WTO in 2007. It has signed 17 free trade agreements."
    spans = split(text)
    assert [text[s:e] for s, e in spans] == ["Vietnam joined the WTO in 2007.",
                                            "It has signed 17 free trade agreements."]
    described = json.loads(describe(text, spans))
    assert [row[:2] for row in described] == [list(span) for span in spans]
    assert "wto" in described[0][2].split() and "agreement" in described[1][2].split()
    assert split("   ") == [(0, 3)]  # a passage always has one span to point at


def test_the_sentence_that_shares_meaning_and_words_scores_best():
    text = "Rice grows in the delta. The resolution was issued in January."
    spans = split(text)
    vectors = np.eye(2, 4, dtype=np.float32)  # sentence 0 along axis 0, sentence 1 along axis 1
    sentences = Sentences.load(describe(text, spans), pack(vectors), 4)
    question = np.array([0.1, 0.9, 0.0, 0.0], dtype=np.float32)
    cosines, scores = sentences.scores(question, TermWeights(["resolut", "issu"], lambda term: 1.0))
    assert cosines == pytest.approx([0.1, 0.9], abs=0.01)
    assert scores[1] == pytest.approx((0.9 + 1.0) / 2, abs=0.01) and scores[0] == pytest.approx(0.05, abs=0.01)
