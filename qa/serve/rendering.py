"""How the page shows an answer: its cards, the passages' marks, the "Sources disagree" panel and a document with
its passages (HTML, every piece of text escaped). The page (qa.serve.ui) lays them out."""

import html
from urllib.parse import quote, urlparse

from ..index import KIND_LABELS, Answer, Hit, Index
from ..read.chunking import CELL_JOIN, TABLE
from ..text import counted, term_spans
from .answer_box import render_answer_box
from .markdown_view import rendered_details

#: A document view inlines at most this many characters around its passage.
DOC_WINDOW = 60_000


def _marked(text: str, question: str, answer_spans=(), flagged=()) -> str:
    """``text`` escaped, the answer sentence(s) in <strong class="qa-answer">, question words in <mark>, and the
    words of values that the sources disagree on in <span class="qa-disagree">.

    ``answer_spans`` and ``flagged`` are offsets into ``text``.
    """
    cuts = sorted({0, len(text), *(x for span in (*answer_spans, *flagged) for x in span)})
    terms = term_spans(text, question) if question else []
    out = []
    for a, b in zip(cuts, cuts[1:]):
        inside = any(s <= a and b <= e for s, e in answer_spans)
        disputed = any(s <= a and b <= e for s, e in flagged)
        piece, last = [], a
        for s, e in terms:
            if a <= s and e <= b:
                piece.append(html.escape(text[last:s]))
                piece.append(f'<mark class="qa-term">{html.escape(text[s:e])}</mark>')
                last = e
        piece.append(html.escape(text[last:b]))
        body = "".join(piece)
        if disputed:
            body = f'<span class="qa-disagree" title="the sources disagree on this value">{body}</span>'
        out.append(f'<strong class="qa-answer">{body}</strong>' if inside else body)
    return "".join(out)


def safe_url(url: str | None) -> str | None:
    if not url:
        return None
    parsed = urlparse(url)
    return url if parsed.scheme in ("http", "https") and parsed.netloc else None


def source_link(url: str | None) -> str:
    url = safe_url(url)
    if not url:
        return ""
    return (f'<a class="qa-source" href="{html.escape(url, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{html.escape(urlparse(url).netloc)}</a>')


def page_window(text: str, page_starts: tuple[int, ...], first: int, last: int | None = None) -> tuple[int, int]:
    """The characters of pages ``first`` to ``last`` (1-based) of a paged document."""
    last = last or first
    end = page_starts[last] if last < len(page_starts) else len(text)
    return page_starts[first - 1], end


def _pages_label(pages: tuple[int, ...]) -> str:
    return f"page {pages[0]}" if len(pages) == 1 else f"pages {pages[0]}–{pages[-1]}"


def render_document(text: str, passages: list[tuple[int, int, int]] = (), focus: tuple[int, int] | None = None,
                    answer_spans=(), question: str = "", page_starts: tuple[int, ...] = (),
                    window: tuple[int, int] | None = None, headings=()) -> str:
    """A document's text, escaped: passage boundaries marked (¶n), page starts of a paged document marked, text
    outside every passage dimmed (debris) but ``headings`` (the passages' context) shown as such, and the ``focus``
    passage highlighted with its answer sentence. Shows
    ``window`` (a page, say) or, for long documents, a window around the focus."""
    lo, hi = window or (0, len(text))
    note = ""
    if window is None and len(text) > DOC_WINDOW:
        centre = focus[0] if focus else 0
        lo = max(0, centre - DOC_WINDOW // 2)
        hi = min(len(text), lo + DOC_WINDOW)
        note = f'<p class="qa-note">Showing characters {lo}–{hi} of {len(text)}.</p>'
    covered = sorted((s, e) for _, s, e in passages)
    starts = {s: n + 1 for n, s, _ in passages}
    page_at = {s: n + 1 for n, s in enumerate(page_starts)}
    cuts = {lo, hi, *page_at}
    heads = [(s, e) for s, e, *_ in headings]
    for s, e in covered + heads:
        cuts.update((s, e))
    if focus:
        cuts.update(focus)
    for s, e in answer_spans:
        cuts.update((s, e))
    cuts = sorted(c for c in cuts if lo <= c <= hi)
    out = []
    for a, b in zip(cuts, cuts[1:]):
        if a in page_at:
            out.append(f'<span class="qa-page" data-page="{page_at[a]}">page {page_at[a]}</span>')
        if a in starts:
            out.append(f'<span class="qa-pb" title="passage {starts[a]} starts">¶{starts[a]}</span>')
        piece = text[a:b]
        in_focus = focus is not None and focus[0] <= a and b <= focus[1]
        body = _marked(piece, question if in_focus else "",
                       [(max(s, a) - a, min(e, b) - a) for s, e in answer_spans if s < b and e > a and s <= a and b <= e])
        if any(s <= a and b <= e for s, e in heads):
            body = f'<span class="qa-heading" title="a heading: the context of its section\'s passages">{body}</span>'
        elif passages and not any(s <= a and b <= e for s, e in covered):
            body = f'<span class="qa-debris" title="not part of any passage">{body}</span>'
        if in_focus:
            body = f'<span class="qa-doc-passage">{body}</span>'
        out.append(body)
    return note + '<div class="qa-doc-text">' + "".join(out) + "</div>"


def render_hit(hit: Hit, question: str, mark_answer: bool = True, top_score: float = 1.0,
               index: Index | None = None, flagged: tuple[tuple[int, int], ...] = ()) -> str:
    """One card. ``flagged``: document offsets of values the sources disagree on, marked in the text."""
    date = f" · {html.escape(hit.date)}" if hit.date else ""
    source = source_link(hit.source)
    source = f" · {source}" if source else ""
    spans = [(s - hit.start, e - hit.start) for s, e in hit.answer_spans] if mark_answer else []
    width = max(0.0, min(1.0, hit.score / top_score)) * 100 if top_score > 0 else 0
    also = ""
    if hit.also_in:
        places = ", ".join(f"<code>{html.escape(p.doc_id)}</code> (characters {p.start}–{p.end})" for p in hit.also_in)
        also = f'<div class="qa-also">also in: {places}</div>'
    document = ""
    if index is not None:
        doc = index.document(hit.doc_id)
        window, where = None, ""
        if hit.pages:  # a paged document opens on the passage's own page(s)
            window = page_window(doc.text, doc.page_starts, hit.pages[0], hit.pages[-1])
            where = f'<p class="qa-note qa-doc-pages">{_pages_label(hit.pages).capitalize()} of {doc.pages}</p>'
        view = render_document(doc.text, index.passages_of(hit.doc_id), (hit.start, hit.end),
                               hit.answer_spans if mark_answer else (), question, doc.page_starts, window,
                               doc.headings)
        drawn = render_pages(hit, doc.title, mark_answer) if hit.pages else ""
        document = f'<details class="qa-doc"><summary>show in document</summary>{where}{drawn}{view}</details>'
        document += rendered_details(hit.doc_id, doc.text, hit.start, hit.end)  # Markdown: also shown rendered
    pages = f" · {_pages_label(hit.pages)}" if hit.pages else ""
    kind = f'<span class="qa-kind">{KIND_LABELS[hit.kind]}</span>' if hit.kind in KIND_LABELS else ""
    headings, _, rows = hit.context.partition("\n") if hit.kind == TABLE else (hit.context, "", "")
    context = f'<div class="qa-context" title="the headings this passage lies under">{html.escape(headings)}</div>' \
        if headings else ""
    body = render_table(rows.split("\n")) if rows else \
        _marked(hit.text, question, spans, [(s - hit.start, e - hit.start) for s, e in flagged])
    return (
        f'<article class="qa-card" id="qa-hit-{hit.rank}" data-doc-id="{html.escape(hit.doc_id, quote=True)}" '
        f'data-kind="{html.escape(hit.kind, quote=True)}">'
        f'<div class="qa-head"><span class="qa-rank">{hit.rank}</span>'
        f'<span class="qa-title">{html.escape(hit.title)}</span>{kind}'
        f'<span class="qa-score" title="score relative to the first result">'
        f'<span class="qa-bar"><span style="width:{width:.0f}%"></span></span>{hit.score:.3f}</span></div>'
        f'<div class="qa-cite"><code>{html.escape(hit.doc_id)}</code>{date}{source}{pages} · passage {hit.passage} '
        f"of {hit.passages_in_doc}, characters {hit.start}–{hit.end}</div>{context}"
        f'<div class="qa-text">{body}</div>{also}{document}</article>'
    )


def render_table(named: list[str]) -> str:
    """A table passage's rows as a table: each row as the model read it ("Quarter: Q3 2024 · Revenue: 4.7",
    ``qa.read.chunking.named_row``), its columns in the order they are named."""
    rows = [dict(cell.partition(": ")[::2] for cell in line.split(CELL_JOIN)) for line in named]
    columns = list(dict.fromkeys(name for row in rows for name in row))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(row.get(c, ''))}</td>" for c in columns) + "</tr>" for row in rows)
    return f'<table class="qa-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_pages(hit: Hit, title: str, mark_answer: bool = True) -> str:
    """A PDF hit's pages as the file draws them (``GET /api/documents/{id}/pages/{n}.png``), its characters lit by
    pdfium's own boxes and its answer sentence more strongly, each with a link to the original file at that page.
    The images load when the view is opened (``loading="lazy"`` inside a closed ``<details>``)."""
    ident = quote(hit.doc_id, safe="/")
    lit = f"start={hit.start}&end={hit.end}"
    if mark_answer and hit.answer_spans:
        lit += f"&sentence_start={min(s for s, _ in hit.answer_spans)}&sentence_end={max(e for _, e in hit.answer_spans)}"
    figures = []
    for n in hit.pages:
        src = html.escape(f"api/documents/{ident}/pages/{n}.png?{lit}", quote=True)
        original = html.escape(f"api/documents/{ident}/file#page={n}", quote=True)
        figures.append(
            f'<figure class="qa-page-image" data-page="{n}"><img loading="lazy" src="{src}" '
            f'alt="{html.escape(f"Page {n} of {title}, the passage lit", quote=True)}">'
            f'<figcaption>Page {n} · <a class="qa-original" href="{original}" target="_blank" '
            f'rel="noopener noreferrer">open the original at page {n}</a></figcaption></figure>')
    return '<div class="qa-page-images">' + "".join(figures) + "</div>"


def render_answer(answer: Answer, seconds: float | None = None, index: Index | None = None) -> str:
    if not answer.hits:
        return '<p class="qa-note">The index has no passages.</p>'
    took = f" in {seconds * 1000:.0f} ms" if seconds is not None else ""
    head = f'<p class="qa-note qa-took">{counted(len(answer.hits), "passage")} ({html.escape(answer.mode)}){took}</p>'
    box = render_answer_box(answer)
    if box:
        head = box + head
    elif answer.abstained:
        head = (
            '<div class="qa-abstain" role="status"><strong>The documents do not seem to answer this.</strong> '
            f"Confidence {answer.confidence:.2f} is below {answer.threshold:.2f}; the nearest passages below are "
            "shown for reference, not as answers.</div>" + head
        )
    top = max(h.score for h in answer.hits)
    flagged: dict[str, list[tuple[int, int]]] = {}
    for conflict in answer.conflicts:
        for value in conflict.values:
            for doc_id, s, e in value.spans:
                flagged.setdefault(doc_id, []).append((s, e))
    # a sentence of a passage that does not answer is no answer: mark none when abstaining
    cards = "".join(render_hit(h, answer.question, not answer.abstained, top, index, tuple(
        (s, e) for s, e in flagged.get(h.doc_id, ()) if h.start <= s and e <= h.end)) for h in answer.hits)
    return head + render_conflicts(answer) + f'<div class="qa-hits{" qa-low" if answer.abstained else ""}">{cards}</div>'


def render_conflicts(answer: Answer) -> str:
    """The "Sources disagree" panel: each value with its quote, the documents that state it by title with their
    dates (a newer article may explain the difference; the file on hover), and links that scroll to their cards."""
    if not answer.conflicts:
        return ""
    by_rank = {h.rank: h for h in answer.hits}
    parts, dated = [], False
    for conflict in answer.conflicts:
        rows = []
        for value in conflict.values:
            hits = [by_rank[r] for r in value.hits if r in by_rank]
            dated = dated or any(h.date for h in hits)
            sources = ", ".join(
                f'<a class="qa-jump" href="#qa-hit-{h.rank}" data-rank="{h.rank}" '
                f'title="{html.escape(h.doc_id, quote=True)}">[{h.rank}] {html.escape(h.title or h.doc_id)}'
                f'{" · " + html.escape(h.date) if h.date else ""}</a>' for h in hits)
            rows.append(f'<li><strong class="qa-value">{html.escape(value.value)}</strong> '
                        f'<q>{html.escape(value.quote)}</q> — {sources}</li>')
        parts.append(f'<div class="qa-conflict"><p>About {html.escape(conflict.about)}:</p><ul>{"".join(rows)}</ul>'
                     f'</div>')
    check = "check the sources and their dates" if dated else "check the sources"
    return ('<section class="qa-conflicts" role="note" aria-label="Sources disagree"><strong>Sources disagree.'
            f'</strong> The passages below give different values for the same thing; {check}.{"".join(parts)}'
            '</section>')
