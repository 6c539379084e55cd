"""The visible text of an HTML page, with the page furniture (navigation, sidebars, scripts) left out.

Offsets of passages from an HTML file refer to this text, which the index stores, not to the markup: a citation
names the file and the characters of the page as a reader sees it.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

#: Elements whose content is never article text.
SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "head", "button",
             "form", "select", "iframe", "object"}
#: role= values and class/id words that mark furniture in most sites and generators (Sphinx, MkDocs, WordPress).
SKIP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}
SKIP_NAMES = {"sidebar", "sphinxsidebar", "related", "footer", "header", "nav", "navbar", "menu", "breadcrumb",
              "breadcrumbs", "toc", "skip-link", "headerlink"}
BLOCK_TAGS = {"p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "br",
              "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "hr", "figure", "figcaption", "caption",
              "td", "th", "body", "html"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Extractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip: list[str] = []  # the open skipped elements, innermost last
        #: how many of each tag ``skip`` holds: an end tag that closes none of them is told in O(1), not by a scan of
        #: the stack (before: quadratic, a 1 MB page of unmatched end tags inside <nav> took 341 s in qa index)
        self.open: Counter[str] = Counter()
        self.pre = 0
        self.title: list[str] = []
        self.in_title = False
        self.canonical: str | None = None

    def _furniture(self, tag: str, attrs: dict) -> bool:
        if tag in SKIP_TAGS:
            return True
        if (attrs.get("role") or "").lower() in SKIP_ROLES:
            return True
        words = set((attrs.get("class") or "").lower().split()) | {(attrs.get("id") or "").lower()}
        return bool(words & SKIP_NAMES)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and "canonical" in a.get("rel", "").lower().split() and a.get("href", "").startswith("http"):
            self.canonical = a["href"]
        if tag == "title":
            self.in_title = True
        if tag in VOID_TAGS:
            if tag in ("br", "hr") and not self.skip:
                self.parts.append("\n")
            return
        if self.skip or self._furniture(tag, a):
            self.skip.append(tag)
            self.open[tag] += 1
            return
        if tag == "pre":
            self.pre += 1
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if self.skip:
            if self.open[tag]:  # close it and anything left unclosed inside it: each element is popped once
                while (inner := self.skip.pop()) != tag:
                    self.open[inner] -= 1
                self.open[tag] -= 1
            return
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        if self.skip:
            return
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> tuple[str, str | None, str | None]:
    """(visible text with one paragraph per line, the page title, its canonical URL)."""
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ").replace("¶", "")
    lines = [line.rstrip() if line.startswith((" ", "\t")) else line.strip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"
    title = re.sub(r"\s+", " ", "".join(parser.title)).strip() or None
    return text, title, parser.canonical
