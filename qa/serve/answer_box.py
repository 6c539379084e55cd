"""The answer box of the page: the short answer above the cards (``render_answer_box``), and its style.

Every piece of document text goes through ``html.escape`` exactly once, as everywhere on the page.
"""

import html

from ..index import Answer

ANSWER_CSS = """
.qa-answer-box { border: 2px solid #16a34a; background: rgba(74, 222, 128, 0.10); border-radius: 10px;
                 padding: 10px 14px; margin-bottom: 10px; overflow-wrap: anywhere; }
.qa-short { font-size: 1.6em; font-weight: 700; line-height: 1.25; margin: 2px 0 4px; }
.qa-short-meta { font-size: 0.9em; display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.qa-short-sentence { line-height: 1.45; margin: 6px 0 2px; }
.qa-short-sentence mark.qa-span { background: rgba(74, 222, 128, 0.45); color: inherit; font-weight: 700;
                                  padding: 0 2px; border-radius: 2px; }
.qa-alternatives { font-size: 0.9em; margin-top: 4px; }
.qa-copy { font: inherit; font-size: 0.85em; cursor: pointer; border: 1px solid currentColor; border-radius: 5px;
           background: transparent; color: inherit; padding: 1px 8px; }
"""


def render_answer_box(answer: Answer) -> str:
    """The answer box above the cards: the short answer large, the sentence it came from with the span marked, its
    confidence, [n] links to the cards that state it, the other values sources give, a copy button. Where the
    documents mention the question's subject but hold no value of the kind asked, the reason instead. "" when
    there is neither (the confidence banner then speaks)."""
    short = answer.short
    if short is None:
        if answer.abstained and answer.abstain_reason and answer.confidence >= answer.threshold:
            return ('<div class="qa-abstain qa-answer-box-none" role="status"><strong>'
                    f'{html.escape(answer.abstain_reason)}</strong> The nearest passages below are shown for '
                    'reference, not as answers.</div>')
        return ""
    by_rank = {h.rank: h for h in answer.hits}

    def links(ranks) -> str:
        return " ".join(f'<a class="qa-jump" href="#qa-hit-{r}" data-rank="{r}">[{r}]</a>' for r in ranks
                        if r in by_rank)

    sentence = ""
    hit = next((h for h in answer.hits if h.doc_id == short.doc_id and h.start <= short.start < h.end), None)
    if hit is not None and hit.start <= short.sentence[0] <= short.start <= short.end <= short.sentence[1] <= hit.end:
        def piece(a: int, b: int) -> str:
            return html.escape(hit.text[a - hit.start:b - hit.start])
        sentence = (f'<p class="qa-short-sentence">{piece(short.sentence[0], short.start)}<mark class="qa-span">'
                    f'{piece(short.start, short.end)}</mark>{piece(short.end, short.sentence[1])}</p>')
    alternatives = ""
    if short.alternatives:
        def sources(n: int) -> str:
            return f"{n} source{'s' if n != 1 else ''}"
        given = " · ".join(f'<strong class="qa-value">{html.escape(a.text)}</strong> — {sources(len(a.hits))} '
                           f'{links(a.hits)}' for a in short.alternatives)
        alternatives = (f'<p class="qa-alternatives">Sources disagree: <strong class="qa-value">'
                        f'{html.escape(short.text)}</strong> — {sources(len(short.hits))} · {given}</p>')
    return (f'<section class="qa-answer-box" role="region" aria-label="Answer">'
            f'<div class="qa-short">{html.escape(short.text)}</div>'
            f'<div class="qa-short-meta"><span>confidence {short.confidence:.2f}</span>'
            f'<span>stated by {links(short.hits)}</span>'
            f'<button type="button" class="qa-copy" data-copy="{html.escape(short.text, quote=True)}">Copy</button>'
            f'</div>{sentence}{alternatives}</section>')
