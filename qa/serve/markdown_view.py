"""A Markdown file shown rendered in a hit's card: "show rendered", beside the transcript of "show in document".

Rendered by markdown-it-py (CommonMark with tables) with raw HTML off, so any HTML the file holds is shown escaped,
never run; images are not loaded (their alt text shows), so opening a card fetches nothing from outside the
corpus; links open in a new tab without a referrer. Only the blocks around the passage are rendered (``WINDOW``
characters, cut at blank lines), and the blocks that hold the passage are marked as "show in document" marks it.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from functools import lru_cache
from pathlib import Path

from ..read.documents import front_matter_end

#: File types shown rendered.
MARKDOWN = (".md", ".markdown")
#: Characters of the file rendered around the passage: as many as the transcript shows (qa.serve.rendering).
WINDOW = 20_000
_LINE_END_RE = re.compile(r"\r\n?|\n")
_FOCUS = "qa-doc-passage"


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")

    def link_open(renderer, tokens, idx, options, env):  # bound to the renderer, as markdown-it's own rules are
        tokens[idx].attrSet("target", "_blank")
        tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


def _window(text: str, start: int, end: int) -> tuple[int, int]:
    """About ``WINDOW`` characters around [start, end), cut at blank lines (a block is never cut in two, but for
    one longer than the window), after the front matter."""
    body = front_matter_end(text)
    lo = max(body, start - WINDOW // 2)
    if lo > body:
        cut = text.rfind("\n\n", body, lo)
        lo = cut + 2 if cut >= 0 else body
    hi = min(len(text), max(end, lo + WINDOW))
    if hi < len(text):
        cut = text.find("\n\n", hi)
        hi = cut if cut >= 0 and cut - hi < WINDOW else hi
    return lo, hi


def render_markdown(text: str, start: int, end: int) -> str:
    """The blocks of Markdown ``text`` around the passage [start, end), rendered, those that hold it marked."""
    lo, hi = _window(text, start, end)
    part = text[lo:hi]
    md = _markdown()
    tokens = md.parse(part)
    line_starts = [0] + [m.end() for m in _LINE_END_RE.finditer(part)]
    first = bisect_right(line_starts, max(0, start - lo)) - 1
    last = bisect_right(line_starts, max(start - lo, end - lo - 1)) - 1
    for token in tokens:
        if token.map and token.level == 0 and token.nesting >= 0 and token.map[0] <= last and token.map[1] > first:
            token.attrJoin("class", _FOCUS)
    note = f'<p class="qa-note">Characters {lo}–{hi} of {len(text)}, rendered.</p>' if (lo, hi) != (0, len(text)) \
        else ""
    return note + '<div class="qa-md">' + md.renderer.render(tokens, md.options, {}) + "</div>"


def rendered_details(doc_id: str, text: str, start: int, end: int) -> str:
    """A card's "show rendered" of a Markdown file's passage; "" for any other file."""
    if Path(doc_id).suffix.lower() not in MARKDOWN:
        return ""
    try:
        view = render_markdown(text, start, end)
    except Exception as e:  # noqa: BLE001 - a file markdown-it cannot render: the transcript still shows it
        view = f'<p class="qa-note">This file cannot be shown rendered ({html.escape(type(e).__name__)}).</p>'
    return f'<details class="qa-doc qa-md-view"><summary>show rendered</summary>{view}</details>'
