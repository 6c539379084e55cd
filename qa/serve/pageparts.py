"""What the page shows around the answers: the corpus's own example questions, the header's counts, the notice that
the index is behind the folder (or being updated), and the page's own style and script beyond the answer cards'.

Like qa.serve.ui, it renders what the service layer says and holds no retrieval logic; every text is escaped once.
"""

from __future__ import annotations

import html
from pathlib import Path

from ..config import GOLD
from ..errors import QAError
from ..evaluate import load_gold
from ..service import Following, LiveIndex
from .adding import add_files
from ..text import counted

#: The page offers this many of the corpus's gold questions as examples.
EXAMPLES = 5
#: How often an open page asks whether the index changed (seconds): a poll reads a cached status (see
#: LiveIndex.changes_now), so many pages cost one folder listing a second.
POLL_SECONDS = 2.0


def gold_examples(corpus: Path, most: int = EXAMPLES) -> list[str]:
    """The first answerable questions of the corpus's gold.jsonl; none when it has no (readable) gold set."""
    path = Path(corpus) / GOLD
    if not path.is_file():
        return []
    try:
        gold = load_gold(path, max_questions=500)
    except QAError:
        return []
    return [g.question for g in gold if g.answerable][:most]


def header_html(following: Following, corpus: str) -> str:
    # HTML, escaped: a folder name may hold Markdown or markup of its own
    return (f'<h2 class="qa-h">Ask the documents</h2><p><span class="qa-counts" data-generation="'
            f'{html.escape(following.generation, quote=True)}">{counted(following.documents, "document")}, '
            f"{counted(following.passages, 'passage')}</span> from <code>{html.escape(corpus)}</code>. Every answer is a "
            f"passage you can check, cited to the character.</p>")


def notice_html(following: Following, watching: bool) -> str:
    """A banner while the index is behind its folder or being updated; nothing when it is fresh."""
    if following.state == "updating":
        phase, done, total = following.work
        step = f" ({html.escape(phase)} {done}/{total})" if total else f" ({html.escape(phase)})"
        return (f'<div class="qa-banner qa-updating" role="status">Updating the index{step}; questions are '
                f"answered from the current one meanwhile.</div>")
    if following.state == "gone":
        return ('<div class="qa-banner qa-behind" role="status">The corpus folder is gone; answers come from the '
                "index as it was built.</div>")
    failed = (f" The last update failed: {html.escape(following.error)}" if following.error else "")
    if following.state == "behind":
        then = ("it will be updated in a moment." if watching else
                "answers come from the index as built; rebuild it on the Index tab (or start qa serve with --watch).")
        return (f'<div class="qa-banner qa-behind" role="status">The folder changed since the index was built '
                f"({following.n_changed}: {html.escape(following.changed)}): {then}{failed}</div>")
    return f'<div class="qa-banner qa-behind" role="status">{failed.strip()}</div>' if failed else ""


def stale_note(live: LiveIndex) -> str:
    """Above an answer given while the folder differs from the index (the page is not following it)."""
    changes = live.changes_now()
    if not changes:
        return ""
    return (f'<div class="qa-banner qa-behind qa-stale" role="note">The folder changed since the index was built '
            f"({len(changes)}: {html.escape(changes.describe())}); this answer comes from the index as built."
            f"</div>")


def cut_words(text: str, most: int) -> str:
    """``text`` with its spaces folded, cut at the last word boundary within ``most`` characters (… when cut)."""
    flat = " ".join(text.split())
    if len(flat) <= most:
        return flat
    cut = flat[:most + 1].rsplit(" ", 1)[0] if " " in flat[:most + 1] else flat[:most]
    return cut.rstrip(" ,;:") + "…"


def hover(text: str, full: str) -> str:
    return f'<span class="qa-cell" title="{html.escape(full, quote=True)}">{html.escape(text)}</span>'


def size_label(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 1024:.1f} KB"


PAGE_CSS = """
.qa-banner { border: 1px solid #b45309; background: #fffbeb; color: #1f2937; border-radius: 8px;
             padding: 8px 12px; margin: 0 0 8px; overflow-wrap: anywhere; }
.dark .qa-banner { background: #3b2a06; color: #fef3c7; border-color: #f59e0b; }
/* readable in both themes (>= 4.5:1, measured in tests/test_browser.py): marked words are dark on yellow in both,
   links and passage marks lighter on a dark page */
.qa-text mark, .qa-doc-text mark.qa-term { color: #1f2937; }
.dark .qa-text mark, .dark .qa-doc-text mark.qa-term { background: #fcd34d; color: #111827; }
.dark details.qa-doc > summary, .dark .qa-pb, .dark a.qa-jump, .dark a.qa-source { color: #93c5fd; }
.qa-relevant > strong { color: #166534; }
.qa-irrelevant > strong { color: #991b1b; }
.dark .qa-relevant > strong { color: #86efac; }
.dark .qa-irrelevant > strong { color: #fca5a5; }
/* the status poll is silent: no spinner over the header, the notice or the Library when it ticks */
#qa-header [data-testid="status-tracker"], #qa-notice [data-testid="status-tracker"],
#library-table [data-testid="status-tracker"] { display: none !important; }
.qa-recent { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 0.9em; min-width: 0; }
.qa-recent a { max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.qa-recent-head { opacity: 0.85; }
.qa-card.qa-targeted { outline: 3px solid #2563eb; outline-offset: 2px; }
.qa-card { scroll-margin-top: 12px; }
/* tables: header labels on one line, cells cut to their column (the full value on hover), read-only cells that
   look read-only (no edit box, no text cursor); a table wider than its box scrolls inside it, never the page */
.qa-table th span.header, .qa-table th .header-content { white-space: nowrap !important; word-break: keep-all; }
.qa-table td .cell-wrap { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.qa-cell { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.qa-table td, .qa-table td * { cursor: pointer; user-select: text; }
.qa-table td:focus, .qa-table td:focus-within, .qa-table .cell-selected {
  outline: none !important; box-shadow: none !important; animation: none !important; }
.qa-table .selection-button { display: none !important; }
.qa-table .cell-menu-button { display: none !important; }
"""

#: The page's script beyond SCROLL_JS: a conflict link marks the card it jumps to.
JUMP_JS = """
element.addEventListener('click', (ev) => {
  const link = ev.target.closest && ev.target.closest('a.qa-jump');
  if (!link) return;
  element.querySelectorAll('.qa-card.qa-targeted').forEach((c) => c.classList.remove('qa-targeted'));
  const card = element.querySelector('#qa-hit-' + link.dataset.rank);
  if (card) { card.classList.add('qa-targeted'); card.scrollIntoView({block: 'start'}); ev.preventDefault(); }
});
"""


def add_documents(live: LiveIndex, files: list[tuple[str, Path]], progress=None) -> str:
    """Write the uploaded ``files`` (name offered, uploaded path) into the corpus folder and index them; what
    happened, as the page shows it. ``progress(phase, done, total)`` follows the indexing."""
    outcomes = add_files(live.corpus, files, live.settings.max_file_mb)
    written = [o.written for o in outcomes if o.written]
    refused = "".join(f"<li><code>{html.escape(o.offered)}</code>: {html.escape(o.reason)}</li>"
                      for o in outcomes if o.reason)
    parts = []
    if written:
        try:
            report = live.update(progress)
        except QAError as e:
            parts.append(f"<p>Added {_names(written)}, but indexing failed: {html.escape(str(e))}</p>")
        else:
            skipped = {s.doc_id: s.reason for s in (report.skipped if report else ())}
            read = [w for w in written if w not in skipped]
            m = live.current.manifest
            if read:
                parts.append(f'<p class="qa-added">Added and indexed {_names(read)}: the index now has '
                             f"{counted(m.counts.documents, 'document')}, "
                             f"{counted(m.counts.passages, 'passage')}.</p>")
            parts += [f"<p>Added <code>{html.escape(w)}</code> but could not read it: {html.escape(skipped[w] or '')}"
                      f"</p>" for w in written if w in skipped]
    if refused:
        parts.append(f'<div class="qa-refused"><p>Refused:</p><ul>{refused}</ul></div>')
    return "".join(parts) or '<p class="qa-note">Choose files to add first.</p>'


def _names(names: list[str]) -> str:
    return ", ".join(f"<code>{html.escape(n)}</code>" for n in names)


#: This browser keeps its last this many questions.
RECENT = 10
#: Before a question is sent: keep it in this browser's list of recent questions (localStorage only; the server
#: never sees the list), then pass the values on unchanged.
REMEMBER_JS = """(q, k, m, ...rest) => {
  try {
    const text = (q || '').trim();
    if (text) {
      const kept = JSON.parse(localStorage.getItem('qa-recent') || '[]').filter((x) => x !== text);
      localStorage.setItem('qa-recent', JSON.stringify([text, ...kept].slice(0, RECENT)));
      window.dispatchEvent(new Event('qa-recent'));
    }
  } catch (e) {}
  return [q, k, m, ...rest];
}""".replace("RECENT", str(RECENT))

#: The recent questions of this browser, each a link that opens the page with it answered (?q=); built with
#: textContent, so a question's markup stays text.
RECENT_JS = """
const show = () => {
  let list = [];
  try { list = JSON.parse(localStorage.getItem('qa-recent') || '[]'); } catch (e) {}
  const box = document.createElement('div');
  box.className = 'qa-recent';
  if (list.length) {
    const head = document.createElement('span');
    head.className = 'qa-recent-head';
    head.textContent = 'Asked in this browser: ';
    box.appendChild(head);
    list.forEach((q) => {
      const a = document.createElement('a');
      a.href = '?q=' + encodeURIComponent(q);
      a.textContent = q;
      a.title = q;
      box.appendChild(a);
    });
  }
  element.replaceChildren(box);
};
window.addEventListener('qa-recent', show);
show();
"""

#: "Copy answer": the question, the answer sentences and each card's citation (title, file, page, characters), read
#: from the cards on the page, put on the clipboard (and kept on the button as data-copied).
COPY_JS = """() => {
  const cards = Array.from(document.querySelectorAll('#results .qa-card'));
  const button = document.querySelector('#copy-answer');
  if (!cards.length) { if (button) button.dataset.copied = ''; return; }
  const field = document.querySelector('#question textarea, #question input');
  const lines = ['Question: ' + (field ? field.value.trim() : '')];
  const abstained = document.querySelector('#results .qa-abstain');
  const said = Array.from(cards[0].querySelectorAll('.qa-text .qa-answer')).map((e) => e.innerText).join(' ');
  lines.push(abstained ? 'Answer: the documents do not seem to answer this.' : 'Answer: ' + (said || '(see the passages)'));
  lines.push('Sources:');
  cards.forEach((card) => {
    const cite = card.querySelector('.qa-cite').innerText;
    const page = (cite.match(/pages? [0-9–-]+/) || [''])[0];
    const chars = (cite.match(/characters [0-9]+–[0-9]+/) || [''])[0];
    const rank = card.querySelector('.qa-rank').innerText;
    const title = card.querySelector('.qa-title').innerText;
    lines.push('[' + rank + '] ' + title + ' — ' + [card.dataset.docId, page, chars].filter(Boolean).join(', '));
    const quote = Array.from(card.querySelectorAll('.qa-text .qa-answer')).map((e) => e.innerText).join(' ');
    if (quote && !abstained) lines.push('    "' + quote + '"');
  });
  const text = lines.join('\\n');
  if (button) button.dataset.copied = text;
  if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {});
}"""


def shared_question(params, check) -> tuple | None:
    """The (question, k, mode) of a shared link ``/?q=...&k=&mode=``; None without ``q``. ``check(k, mode)``
    returns them checked or raises QAError (the message is then shown)."""
    q = params.get("q") if params else None
    if not q or not q.strip():
        return None
    k, mode = check(params.get("k") or 5, params.get("mode") or None)
    return q, k, mode
