"""The web page. It only renders what ``Index.search`` returns: every piece of document text is HTML-escaped."""

from __future__ import annotations

import html
import os
import sys
import time
from urllib.parse import urlparse

from .errors import QAError
from .search import Hit, Index
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
"""

EXAMPLES = [
    "How many countries does Vietnam have diplomatic relations with?",
    "Which university is Tran Le Hung from?",
    "When did the Politburo issue Resolution 59?",
]


def _marked(text: str, question: str) -> str:
    """``text`` escaped, with the question's words wrapped in <mark>."""
    out, last = [], 0
    for s, e in term_spans(text, question):
        out.append(html.escape(text[last:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        last = e
    out.append(html.escape(text[last:]))
    return "".join(out)


def _safe_url(url: str | None) -> str | None:
    if not url:
        return None
    parsed = urlparse(url)
    return url if parsed.scheme in ("http", "https") and parsed.netloc else None


def render_hit(hit: Hit, question: str) -> str:
    url = _safe_url(hit.source)
    source = (
        f' · <a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
        f"{html.escape(urlparse(url).netloc)}</a>"
        if url else ""
    )
    date = f" · {html.escape(hit.date)}" if hit.date else ""
    return (
        f'<article class="qa-card" data-doc-id="{html.escape(hit.doc_id, quote=True)}">'
        f'<div class="qa-head"><span class="qa-rank">{hit.rank}</span>'
        f'<span class="qa-title">{html.escape(hit.title)}</span>'
        f'<span class="qa-score">score {hit.score:.3f}</span></div>'
        f'<div class="qa-cite"><code>{html.escape(hit.doc_id)}</code>{date}{source} · passage {hit.passage} '
        f"of {hit.passages_in_doc}, characters {hit.start}–{hit.end}</div>"
        f'<div class="qa-text">{_marked(hit.text, question)}</div></article>'
    )


def render_hits(hits: list[Hit], question: str, seconds: float | None = None) -> str:
    if not hits:
        return '<p class="qa-note">The index has no passages.</p>'
    took = f'<p class="qa-note">{len(hits)} passages in {seconds * 1000:.0f} ms</p>' if seconds is not None else ""
    return took + '<div class="qa-hits">' + "".join(render_hit(h, question) for h in hits) + "</div>"


def answer(index: Index, question: str, k: int = 5) -> str:
    """What the page shows for a question: cited, escaped passages, or a gentle note."""
    if not question or not question.strip():
        return '<p class="qa-note">Type a question to search the documents.</p>'
    started = time.perf_counter()
    try:
        hits = index.search(question, k=int(k))
    except QAError as e:
        return f'<p class="qa-note">{html.escape(str(e))}</p>'
    return render_hits(hits, question, time.perf_counter() - started)


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
        button = gr.Button("Search", variant="primary")
        results = gr.HTML(elem_id="results")
        gr.Examples(EXAMPLES, inputs=question)

        def search(q: str, top_k: float) -> str:
            return answer(index, q, int(top_k))

        button.click(search, [question, k], results, api_name="search")
        question.submit(search, [question, k], results, api_visibility="private")
    return app


def serve(index: Index, host: str = "127.0.0.1", port: int = 7860) -> None:
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"qa: warning: serving on {host}: anyone who can reach this machine can read the corpus",
              file=sys.stderr)
    index.embedder.encode(["warm up"])  # load the model now, not on the first visitor's question
    app = build_app(index)
    app.queue(default_concurrency_limit=4)
    app.launch(server_name=host, server_port=port, css=CSS, show_error=False, quiet=False)
