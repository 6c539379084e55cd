"""Hostile questions, generated: every mode answers with hits or a clear 'nothing to search for', never crashes.

CI runs QA_FUZZ_EXAMPLES (default 150) questions per mode; `python bench/fuzz.py` runs 10,000.
"""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.errors import QAError
from qa.index import MODES

SYNTAX = ['"', "AND", "OR", "NOT", "NEAR", "NEAR/3", "*", ":", "-", "(", ")", "^", "~", "+", "{", "}", "[", "]",
          "\\", "/", "title:", "body:*", "'; DROP TABLE passages; --", "' OR '1'='1", "UNION SELECT", "%", "_",
          "\x00", "\u202e", "\u200f", "\u200b", "\ufeff", "\ud800", "\udfff", "🇻🇳", "👍🏽", "\U0010ffff",
          "مرحبا", "שלום", "Việt Nam", "\n", "\t", "\r\n", " ", "<script>", "${x}", "{{x}}"]

fragments = st.one_of(
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40),  # any code point, surrogates too
    st.sampled_from(SYNTAX),
    st.text(alphabet=st.sampled_from(" \t\n\r\x0b\x0c\u00a0\u2028\u3000"), max_size=10),
)
questions = st.one_of(
    st.lists(fragments, max_size=12).map(" ".join),
    st.builds(lambda piece, n: piece * n, st.sampled_from(["x", "Vietnam ", "\u202e", "(", "🇻🇳"]),
              st.integers(1, 1_000_000)),  # up to 1 MB and more
)

EXAMPLES = int(os.environ.get("QA_FUZZ_EXAMPLES", "150"))


def check(index, question: str, mode: str) -> None:
    try:
        answer = index.answer(question, k=3, mode=mode, spans=False)
    except QAError as e:
        assert "empty" in str(e), e  # the one refusal: nothing to search for
        assert not question.strip() or not question.encode("utf-8", "replace").decode().strip()
        return
    assert isinstance(answer.abstained, bool) and answer.hits is not None
    if mode != "lexical":
        assert len(answer.hits) == 3
    for h in answer.hits:
        assert index.document(h.doc_id).text[h.start:h.end] == h.text


@pytest.mark.parametrize("mode", sorted(MODES))
def test_hostile_questions_never_raise(seeds_search, mode):
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(questions)
    def run(question):
        check(seeds_search, question, mode)

    run()


@pytest.mark.parametrize("question", ["\ud800 lone surrogate", "nul\x00byte", "\u202eright to left", "🇻🇳" * 50,
                                      "x" * 1_000_000, "((((", '"unbalanced', "NEAR/5 AND NOT OR"])
def test_hostile_questions_get_answer_sentences_too(seeds_search, question):
    hits = seeds_search.search(question, k=2)
    assert len(hits) == 2 and all(h.answer_spans for h in hits)
