"""The web page. It only renders what ``Index.search`` returns: every piece of document text is HTML-escaped."""

from __future__ import annotations

import html
import os
import sys
import time
from urllib.parse import urlparse

from .errors import QAError
from .search import DEFAULT_MODE, MODES, Answer, Hit, Index
from .text import term_spans

CSS = """
.qa-hits { display: flex; flex-direction: column; gap: 12px; }
.qa-card { border: 1px solid var(--border-color-primary, #ddd); border-radius: 8px; padding: 12px 14px;
           overflow-wrap: anywhere; }
.qa-head { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.qa-rank { font-weight: 700; }
.qa-title { font-weight: 600; }
.qa-cite { font-size: 0.85em; opacity: 0.8; margin: 4px 0 8px; }
.qa-score { font-size: 0.85em; font-variant-numeric: tabular-nums; }
.qa-text { white-space: pre-wrap; line-height: 1.5; }
.qa-text mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.qa-note { opacity: 0.8; }
.qa-answer { background: rgba(74, 222, 128, 0.22); font-weight: 600; border-radius: 2px; }
.qa-also { font-size: 0.85em; opacity: 0.8; margin-top: 6px; }
.qa-abstain { border: 1px solid #f59e0b; background: rgba(245, 158, 11, 0.12); border-radius: 8px;
              padding: 10px 14px; margin-bottom: 8px; }
.qa-low .qa-card { opacity: 0.75; }
"""

EXAMPLES = [
    "How many countries does Vietnam have diplomatic relations with?",
    "Which university is Tran Le Hung from?",
    "When did the Politburo issue Resolution 59?",
]


def _marked(text: str, question: str, answer_spans=()) -> str:
    """``text`` escaped, the answer sentence(s) in <strong class="qa-answer">, question words in <mark>.

    ``answer_spans`` are offsets into ``text``. Every piece of text goes through html.escape exactly once.
    """
    cuts = sorted({0, len(text), *(x for span in answer_spans for x in span)})
    terms = term_spans(text, question)
    out = []
    for a, b in zip(cuts, cuts[1:]):
        inside = any(s <= a and b <= e for s, e in answer_spans)
        piece, last = [], a
        for s, e in terms:
            if a <= s and e <= b:
                piece.append(html.escape(text[last:s]))
                piece.append(f"<mark>{html.escape(text[s:e])}</mark>")
                last = e
        piece.append(html.escape(text[last:b]))
        body = "".join(piece)
        out.append(f'<strong class="qa-answer">{body}</strong>' if inside else body)
    return "".join(out)


def _safe_url(url: str | None) -> str | None:
    if not url:
        return None
    parsed = urlparse(url)
    return url if parsed.scheme in ("http", "https") and parsed.netloc else None


def render_hit(hit: Hit, question: str, mark_answer: bool = True) -> str:
    url = _safe_url(hit.source)
    source = (
        f' · <a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
        f"{html.escape(urlparse(url).netloc)}</a>"
        if url else ""
    )
    date = f" · {html.escape(hit.date)}" if hit.date else ""
    spans = [(s - hit.start, e - hit.start) for s, e in hit.answer_spans] if mark_answer else []
    also = ""
    if hit.also_in:
        places = ", ".join(f"<code>{html.escape(p.doc_id)}</code> (characters {p.start}–{p.end})" for p in hit.also_in)
        also = f'<div class="qa-also">also in: {places}</div>'
    return (
        f'<article class="qa-card" data-doc-id="{html.escape(hit.doc_id, quote=True)}">'
        f'<div class="qa-head"><span class="qa-rank">{hit.rank}</span>'
        f'<span class="qa-title">{html.escape(hit.title)}</span>'
        f'<span class="qa-score">score {hit.score:.3f}</span></div>'
        f'<div class="qa-cite"><code>{html.escape(hit.doc_id)}</code>{date}{source} · passage {hit.passage} '
        f"of {hit.passages_in_doc}, characters {hit.start}–{hit.end}</div>"
        f'<div class="qa-text">{_marked(hit.text, question, spans)}</div>{also}</article>'
    )


def render_answer(answer: Answer, seconds: float | None = None) -> str:
    if not answer.hits:
        return '<p class="qa-note">The index has no passages.</p>'
    took = f" in {seconds * 1000:.0f} ms" if seconds is not None else ""
    head = f'<p class="qa-note">{len(answer.hits)} passages ({html.escape(answer.mode)}){took}</p>'
    if answer.abstained:
        head = (
            '<div class="qa-abstain" role="status"><strong>The documents do not seem to answer this.</strong> '
            f"Confidence {answer.confidence:.2f} is below {answer.threshold:.2f}; the nearest passages below are "
            "shown for reference, not as answers.</div>" + head
        )
    # a sentence of a passage that does not answer is no answer: mark none when abstaining
    cards = "".join(render_hit(h, answer.question, mark_answer=not answer.abstained) for h in answer.hits)
    return head + f'<div class="qa-hits{" qa-low" if answer.abstained else ""}">{cards}</div>'


def answer(index: Index, question: str, k: int = 5, mode: str = DEFAULT_MODE) -> str:
    """What the page shows for a question: cited, escaped passages, or a gentle note."""
    if not isinstance(question, str) or not question.strip():
        return '<p class="qa-note">Type a question to search the documents.</p>'
    started = time.perf_counter()
    try:
        result = index.answer(question, k=int(k), mode=mode)
    except QAError as e:
        return f'<p class="qa-note">{html.escape(str(e))}</p>'
    return render_answer(result, time.perf_counter() - started)


def build_app(index: Index):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    m = index.manifest
    with gr.Blocks(title="qa: ask the documents") as app:
        gr.Markdown(
            f"## Ask the documents\n{m['counts']['documents']} documents, {m['counts']['passages']} passages "
            f"from `{html.escape(m['corpus'])}`; every answer is a passage you can check, cited to the character."
        )
        with gr.Row():
            question = gr.Textbox(label="Question", placeholder="Ask something the documents might say…",
                                  scale=5, min_width=280, autofocus=True, max_length=10_000)
            k = gr.Slider(1, 20, value=5, step=1, label="Passages", scale=1, min_width=160)
            mode = gr.Dropdown(sorted(MODES), value=DEFAULT_MODE, label="Mode", scale=1, min_width=120)
        button = gr.Button("Search", variant="primary")
        results = gr.HTML(elem_id="results")
        gr.Examples(EXAMPLES, inputs=question)

        def search(q: str, top_k: float, search_mode: str = DEFAULT_MODE) -> str:
            return answer(index, q, int(top_k), search_mode if search_mode in MODES else DEFAULT_MODE)

        button.click(search, [question, k, mode], results, api_name="search")
        question.submit(search, [question, k, mode], results, api_visibility="private")
    return app


def serve(index: Index, host: str = "127.0.0.1", port: int = 7860) -> None:
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"qa: warning: serving on {host}: anyone who can reach this machine can read the corpus",
              file=sys.stderr)
    index.embedder.encode(["warm up"])  # load the model now, not on the first visitor's question
    app = build_app(index)
    app.queue(default_concurrency_limit=4)
    app.launch(server_name=host, server_port=port, css=CSS, show_error=False, quiet=False)
