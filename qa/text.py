"""Small text helpers shared by documents, chunking, search and the page: normalisation and word spans."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# đ/Đ carry no combining mark, so NFKD alone does not fold them.
_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss"})
_QUOTES_DASHES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‐": "-", "‑": "-"})
_WORD_RE = re.compile(r"\w+", re.UNICODE)

STOPWORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "many", "much"]
)


def fold_accents(text: str) -> str:
    """'Phạm Minh Chính' -> 'Pham Minh Chinh'. Length may change; use only for matching, never for offsets."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLDS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize(text: str) -> str:
    """Case-, accent-, quote- and space-insensitive form for comparing strings."""
    text = fold_accents(unicodedata.normalize("NFKC", text)).translate(_QUOTES_DASHES).casefold()
    return " ".join(text.split())


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """Every word of ``text`` with its offsets and its folded form."""
    return [(m.start(), m.end(), _normalize_word(m.group())) for m in _WORD_RE.finditer(text)]


@lru_cache(maxsize=200_000)
def _normalize_word(word: str) -> str:
    # a corpus has far fewer distinct words than word occurrences: folding each once is most of the saving
    return normalize(word)


#: How a question opens: an interrogative, an auxiliary ("Does ...", "Is ..."), a request ("Name ...", "List ..."),
#: optionally after a preposition ("In which year ...").
_QUESTION_RE = re.compile(
    r"(?i)^\W*(?:(?:in|on|at|for|to|from|by|of|during|since|until|with|after|before)\s+)?"
    r"(?:who|whom|whose|what|when|where|which|why|how|is|are|was|were|am|do|does|did|can|could|will|would|should|"
    r"shall|may|might|must|has|have|had|name|list|tell)\b"
)


def is_question(text: str) -> bool:
    """Whether ``text`` is phrased as a question (it asks something a sentence can state), not as a topic or a
    description of an information need ("Parallel algorithms", "I am interested in articles on ...")."""
    return text.rstrip().endswith("?") or bool(_QUESTION_RE.match(text))


def query_terms(question: str) -> set[str]:
    """The folded content words of a question: what the page marks in a passage."""
    return {w for _, _, w in word_spans(question) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())}


def term_spans(text: str, question: str) -> list[tuple[int, int]]:
    """Offsets of the words of ``text`` that are content words of ``question`` (accent- and case-insensitive)."""
    terms = query_terms(question)
    return [(s, e) for s, e, w in word_spans(text) if w in terms]


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentences of ``text[start:end]`` as absolute (start, end) offsets, trimmed of surrounding space.

    Blingfire's splitter knows abbreviations ("U.N.", "No. 59") and returns character offsets; each line is split
    on its own because a line break in these texts always ends a paragraph, heading or caption.
    """
    end = len(text) if end is None else end
    spans = []
    for m in re.finditer(r"[^\n]+", text[start:end]):
        base = start + m.start()
        piece = m.group()
        if not piece.strip():
            continue
        for s, e in _sentence_offsets(piece):
            s, e = base + s, base + e
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if s < e:
                spans.append((s, e))
    return spans


def _sentence_offsets(piece: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of one line, as ``blingfire.text_to_sentences_and_offsets``
    gives them, without its loop over every byte in Python to map UTF-8 offsets to characters (a fifth of a build's
    reading time, bench/scale.py): the character of a byte offset is the count of lead bytes before it."""
    import ctypes

    import blingfire  # a 3 MB native library; only chunking needs it
    import numpy as np

    data = piece.encode("utf-8")
    size = len(data) * 2
    out = ctypes.create_string_buffer(size)
    starts, ends = (ctypes.c_int32 * size)(), (ctypes.c_int32 * size)()
    n = blingfire.blingfire.TextToSentencesWithOffsets(ctypes.c_char_p(data), ctypes.c_int(len(data)),
                                                       ctypes.byref(out), ctypes.byref(starts), ctypes.byref(ends),
                                                       ctypes.c_int(size))
    if n == -1 or n > size:
        return []
    count = out.value.count(b"\n") + 1
    first = np.frombuffer(starts, dtype=np.int32, count=count).astype(np.int64)
    last = np.frombuffer(ends, dtype=np.int32, count=count).astype(np.int64) + 1  # blingfire's ends are inclusive
    if len(data) != len(piece):  # not ASCII: byte offsets to character offsets
        raw = np.frombuffer(data, dtype=np.uint8)
        chars = np.concatenate([[0], np.cumsum((raw & 0xC0) != 0x80)])
        first, last = chars[np.minimum(first, len(data))], chars[np.minimum(last, len(data))]
    return list(zip(first.tolist(), last.tolist()))


# --- terms for lexical search --------------------------------------------------------------------------------

_CAPITALISED_SYLLABLE = re.compile(r"[A-ZÀ-ỸĐ][a-zà-ỹđ]{0,4}")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: the Snowball stemmers in C

    return Stemmer.Stemmer("english")


def _stem(words: list[str]) -> list[str]:
    return _stemmer().stemWords(words)


def analyze(text: str) -> list[str]:
    """Lexical terms of a passage: folded (case, accents, quotes), stop words out, Snowball-stemmed.

    Names written as short capitalised syllables ("Viet Nam", "Ha Noi", "Xi Jinping") also yield their joined
    form, so that "Vietnam" and "Hanoi" find them.
    """
    words = [(m.group(), _normalize_word(m.group())) for m in _WORD_RE.finditer(text)]
    terms = [w for _, w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    joins = [
        a + b
        for (raw_a, a), (raw_b, b) in zip(words, words[1:])
        if _CAPITALISED_SYLLABLE.fullmatch(raw_a) and _CAPITALISED_SYLLABLE.fullmatch(raw_b)
    ]
    return _stem(terms + joins)


def analyze_query(question: str, vocabulary) -> list[str]:
    """Terms of a question; adjacent words whose joined form the corpus uses ("viet nam" -> "vietnam") join too."""
    words = [normalize(m.group()) for m in _WORD_RE.finditer(question[:10_000])]
    terms = _stem([w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())])
    joined = [j for j in _stem([a + b for a, b in zip(words, words[1:])]) if j in vocabulary]
    return [t for t in terms + joined if t in vocabulary]


def question_terms(question: str) -> list[str]:
    """Distinct content terms of a question, stemmed like passages, known to the corpus or not."""
    words = [normalize(m.group()) for m in _WORD_RE.finditer(question[:10_000])]
    return list(dict.fromkeys(_stem([w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())])))


def counted(n: int, noun: str) -> str:
    """"1 passage", "2 passages", "1,204 documents": a count with its noun, as the page and the messages say it."""
    return f"{n:,} {noun if n == 1 else noun + 's'}"
