import pytest
from helpers import SEEDS

from qa.errors import QAError
from qa.read.chunking import chunk_document
from qa.read.documents import load_documents, parse_document
from qa.text import sentence_spans

SIZES = [(200, 48), (96, 24), (254, 0)]


@pytest.fixture(scope="module")
def seed_docs():
    return load_documents(SEEDS)[0]


@pytest.mark.parametrize("max_tokens, overlap", SIZES)
def test_offsets_round_trip_and_passages_fit_the_window(seed_docs, tokenizer, max_tokens, overlap):
    for doc in seed_docs:
        original = (SEEDS / doc.doc_id).read_bytes().decode("utf-8")
        passages = chunk_document(doc, tokenizer, max_tokens, overlap)
        assert passages and [p.ordinal for p in passages] == list(range(len(passages)))
        for p in passages:
            assert original[p.start:p.end] == p.text and p.doc_id == doc.doc_id
            pieces = tokenizer.count([p.text])[0]
            assert pieces == p.n_tokens <= max_tokens
            assert pieces + tokenizer.special_tokens <= tokenizer.max_seq_length == 256


@pytest.mark.parametrize("max_tokens, overlap", SIZES)
def test_passages_hold_whole_sentences(seed_docs, tokenizer, max_tokens, overlap):
    for doc in seed_docs:
        starts, ends, too_long = set(), set(), []
        for seg in (*doc.segments, *doc.captions):
            for s, e in sentence_spans(doc.text, *seg):
                starts.add(s)
                ends.add(e)
                if tokenizer.count([doc.text[s:e]])[0] > max_tokens:
                    too_long.append((s, e))
        for p in chunk_document(doc, tokenizer, max_tokens, overlap):
            # only a sentence too long for a passage on its own may be cut
            assert p.start in starts or any(s < p.start < e for s, e in too_long), p.text[:60]
            assert p.end in ends or any(s < p.end < e for s, e in too_long), p.text[-60:]


def test_neighbours_overlap_by_whole_sentences(seed_docs, tokenizer):
    overlapping = 0
    for doc in seed_docs:
        passages = chunk_document(doc, tokenizer, 200, 48)
        for a, b in zip(passages, passages[1:]):
            assert b.start > a.start and b.end > a.end  # progress, never a passage inside another
            if b.start < a.end:
                overlapping += 1
                assert doc.text[b.start:a.end] in a.text
    assert overlapping >= 10


def test_no_overlap_when_asked_for_none(seed_docs, tokenizer):
    for doc in seed_docs:
        passages = chunk_document(doc, tokenizer, 200, 0)
        assert all(b.start >= a.end for a, b in zip(passages, passages[1:]))


def test_a_sentence_longer_than_the_window_is_cut_at_word_boundaries(tokenizer):
    words = [f"word{i} internationalisation" for i in range(400)]
    text = "Title\n" + " ".join(words) + "\n"
    doc = parse_document("long.txt", text.encode())
    passages = chunk_document(doc, tokenizer, 100, 20)
    body = [p for p in passages if p.text != "Title"]
    assert len(body) > 3 and body == passages and {p.context for p in passages} == {"Title"}  # the title is context
    for p in body:
        assert p.n_tokens <= 100 and doc.text[p.start:p.end] == p.text
        assert (p.start == 0 or not text[p.start - 1].isalnum()) and (not text[p.end].isalnum())
    covered = set()
    for p in passages:
        covered.update(range(p.start, p.end))
    assert all(i in covered for i in range(len("Title\n"), len(text)) if not text[i].isspace())


def test_passages_never_reach_across_debris(tokenizer):
    text = "First paragraph, one sentence.\nleftcenterrightdel\nSecond paragraph, one sentence.\n"
    doc = parse_document("d.txt", text.encode())
    passages = chunk_document(doc, tokenizer, 200, 48)
    assert [p.text for p in passages] == ["First paragraph, one sentence.", "Second paragraph, one sentence."]


def test_a_caption_is_a_passage_of_its_own_kind_in_document_order(tokenizer):
    text = ("First paragraph, one sentence.\nA harbour at dawn, seen from the hill. (Photo: VNA)\n"
            "Second paragraph, one sentence.\n")
    doc = parse_document("d.txt", text.encode())
    passages = chunk_document(doc, tokenizer, 200, 48)
    assert [(p.ordinal, p.kind, p.text) for p in passages] == [
        (0, "text", "First paragraph, one sentence."), (1, "caption", "A harbour at dawn, seen from the hill."),
        (2, "text", "Second paragraph, one sentence.")]  # never glued to the text around it
    assert all(text[p.start:p.end] == p.text for p in passages)


def test_budget_beyond_the_model_window_is_refused(seed_docs, tokenizer):
    with pytest.raises(QAError, match="exceeds"):
        chunk_document(seed_docs[0], tokenizer, 300, 10)
    with pytest.raises(QAError, match="overlap"):
        chunk_document(seed_docs[0], tokenizer, 100, 100)


class _SpaceTokenizer:
    """A tokenizer that sees spaces: every word and every space between words is a piece, so a body of sentences
    counts more than the sum of its sentences (the spaces that join them)."""

    name = "spaces"
    window = 256

    def count(self, texts):
        return [len(t.split()) * 2 - 1 if t.split() else 0 for t in texts]

    def offsets(self, text):
        import re

        return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def test_a_tokenizer_that_sees_spaces_still_gets_bodies_that_fit(seed_docs):
    tok = _SpaceTokenizer()
    for doc in seed_docs:
        passages = chunk_document(doc, tok, 60, 12)
        assert passages
        for p in passages:
            n = tok.count([p.text])[0]
            assert n == p.n_tokens
            # a body over the window is only ever one sentence (or one piece of a long one)
            assert n <= 60 or len(sentence_spans(p.text)) == 1, p.text
