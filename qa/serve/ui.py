"""The web page. It renders what the engine returns and holds no retrieval logic.

Every piece of document text goes through ``html.escape`` exactly once before it reaches the page; the only
script is the small handler below that scrolls an opened document view to its passage.
"""

# No `from __future__ import annotations` here: Gradio finds the gr.SelectData argument of an event handler by its
# annotation at run time, which must then be the class, not a string.
import html
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from ..config import GOLD
from ..errors import QAError
from ..evaluate import GOLD_COLUMNS, GOLD_METRICS, evaluate_gold, load_gold
from ..index import DEFAULT_MODE, MODES, Index, check_k, check_mode, check_question
from ..rank.scope import EVERYTHING, Scope
from ..read.documents import SUFFIXES
from ..service import LiveIndex
from .adding import MAX_ADD_FILES
from .answer_box import ANSWER_CSS
from .pageparts import (
    COPY_JS,
    JUMP_JS,
    POLL_SECONDS,
    RECENT_JS,
    REMEMBER_JS,
    add_documents,
    cut_words,
    gold_examples,
    header_html,
    hover,
    notice_html,
    shared_question,
    size_label,
    stale_note,
)
from ..text import counted
from .rendering import page_window, render_answer, render_document, safe_url, source_link

CSS = ANSWER_CSS + """
.qa-hits { display: flex; flex-direction: column; gap: 12px; }
.qa-card { border: 1px solid var(--border-color-primary, #ddd); border-radius: 8px; padding: 12px 14px;
           overflow-wrap: anywhere; min-width: 0; }
.qa-head { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.qa-rank { font-weight: 700; }
.qa-title { font-weight: 600; }
.qa-cite { font-size: 0.85em; opacity: 0.85; margin: 4px 0 8px; }
.qa-score { font-size: 0.85em; font-variant-numeric: tabular-nums; display: inline-flex; gap: 6px;
            align-items: center; }
.qa-bar { display: inline-block; width: 60px; height: 6px; border-radius: 3px; background: rgba(128,128,128,.25);
          overflow: hidden; }
.qa-bar > span { display: block; height: 100%; background: #2563eb; }
.qa-text { white-space: pre-wrap; line-height: 1.5; }
.qa-text mark, .qa-doc-text mark.qa-term { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.qa-answer { background: rgba(74, 222, 128, 0.22); font-weight: 600; border-radius: 2px; }
.qa-note { opacity: 0.85; }
.qa-kind { font-size: 0.75em; border: 1px solid currentColor; border-radius: 4px; padding: 0 5px; opacity: 0.75;
           white-space: nowrap; }
.qa-also { font-size: 0.85em; opacity: 0.85; margin-top: 6px; }
.qa-abstain { border: 1px solid #f59e0b; background: rgba(245, 158, 11, 0.12); border-radius: 8px;
              padding: 10px 14px; margin-bottom: 8px; }
.qa-low .qa-card { opacity: 0.8; }
.qa-conflicts { border: 1px solid #dc2626; background: rgba(220, 38, 38, 0.08); border-radius: 8px;
                padding: 10px 14px; margin-bottom: 8px; overflow-wrap: anywhere; }
.qa-conflicts ul { margin: 4px 0 6px 18px; padding: 0; }
.qa-conflict p { margin: 6px 0 0; }
.qa-value { font-variant-numeric: tabular-nums; }
.qa-disagree { text-decoration: underline wavy #dc2626; text-underline-offset: 3px; }
details.qa-doc { margin-top: 8px; }
details.qa-doc > summary { cursor: pointer; color: #2563eb; font-size: 0.9em; }
.qa-doc-text { white-space: pre-wrap; line-height: 1.5; max-height: 60vh; overflow: auto; padding: 8px;
               border: 1px solid var(--border-color-primary, #ddd); border-radius: 6px; margin-top: 6px;
               overflow-wrap: anywhere; }
.qa-doc-passage { background: rgba(37, 99, 235, 0.12); outline: 1px solid rgba(37, 99, 235, 0.4); }
.qa-debris { opacity: 0.45; }
.qa-heading, .qa-context { font-weight: 600; }
.qa-pb { font-size: 0.75em; color: #2563eb; font-weight: 700; user-select: none; }
.qa-page { display: block; font-size: 0.8em; font-weight: 700; opacity: 0.7; border-top: 1px dashed currentColor;
           margin: 6px 0 2px; user-select: none; }
.qa-page-images { display: flex; flex-direction: column; gap: 10px; margin-top: 6px; }
.qa-page-image { margin: 0; }
.qa-page-image img { display: block; max-width: 100%; height: auto; border: 1px solid var(--border-color-primary, #ddd);
                     border-radius: 4px; background: #fff; }
.qa-page-image figcaption { font-size: 0.85em; opacity: 0.85; margin-top: 2px; }
.qa-status td, .qa-status th { padding: 2px 10px 2px 0; text-align: left; vertical-align: top; }
"""

# Opening a "show in document" view scrolls it to the passage. Attached once to the results container; the
# cards inside are replaced on every search, so the handler is delegated ('toggle' does not bubble: capture it).
SCROLL_JS = """
element.addEventListener('toggle', (ev) => {
  const box = ev.target;
  if (!box.open || !box.classList || !box.classList.contains('qa-doc')) return;
  const mark = box.querySelector('.qa-page-image') || box.querySelector('.qa-doc-passage');
  if (mark) mark.scrollIntoView({block: 'center'});
}, true);
element.addEventListener('click', (ev) => {
  const copy = ev.target.closest && ev.target.closest('.qa-copy');
  if (!copy) return;
  const text = copy.getAttribute('data-copy') || '';
  const done = () => { copy.textContent = 'Copied'; setTimeout(() => { copy.textContent = 'Copy'; }, 1500); };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, () => {});
  else { const t = document.createElement('textarea'); t.value = text; document.body.appendChild(t); t.select();
         try { document.execCommand('copy'); done(); } catch (e) {} t.remove(); }
});
"""

#: An Evaluate run reads at most this many gold questions and runs at most this long (one run at a time).
MAX_GOLD_QUESTIONS = 500
EVALUATE_SECONDS = 600




def answer(index: Index, question: str, k: int = 5, mode: str = DEFAULT_MODE, documents: bool = True,
           scope: Scope = EVERYTHING) -> str:
    """What the page shows for a question: cited, escaped passages, or a gentle note."""
    if not isinstance(question, str) or not question.strip():
        return '<p class="qa-note">Type a question to search the documents.</p>'
    started = time.perf_counter()
    try:
        result = index.answer(check_question(question, cut_long=True), k=int(k), mode=mode, scope=scope)
    except QAError as e:
        return f'<p class="qa-note">{html.escape(str(e))}</p>'
    return render_answer(result, time.perf_counter() - started, index if documents else None)


# --- library, evaluation, status -----------------------------------------------------------------------------


#: The Evaluate tab's tables (their headers show before the first run) and the questions table's widths in pixels.
METRIC_COLUMNS = ["mode", *GOLD_COLUMNS, "p50 ms"]
QUESTION_COLUMNS = ["id", "question", "result", "first relevant rank", "abstained", "short answer", "EM", "F1"]
QUESTION_WIDTHS = [60, 420, 70, 150, 90, 200, 50, 60]


LIBRARY_COLUMNS = ["Title", "Document", "Date", "Source", "Pages", "Passages", "Size"]


#: The Library's column widths in pixels (1,130 in all: at 1366 px every column shows; on a phone the table scrolls
#: inside its box, its header labels still on one line) and the kind of each column: Title and Source are HTML, cut
#: to the cell with the full value on hover.
LIBRARY_WIDTHS = [340, 230, 110, 170, 80, 100, 100]
LIBRARY_TYPES = ["html", "str", "str", "html", "str", "str", "str"]


def scope_choices(index: Index) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """What the page's "Search within" offers: the documents (title and id), the folders that hold them, and their
    file types."""
    docs = index.documents()
    folders = sorted({"/".join(d.doc_id.split("/")[:n]) for d in docs for n in range(1, d.doc_id.count("/") + 1)})
    types = sorted({Path(d.doc_id).suffix.lstrip(".").lower() for d in docs} - {""})
    return [(f"{d.title} · {d.doc_id}", d.doc_id) for d in docs], folders, types


def library_rows(index: Index) -> list[list]:
    """One row per document; Size is the file's own (a PDF's, not its text's)."""
    files = index.manifest.files()
    rows = []
    for d in index.documents():
        size = files[d.doc_id].size if d.doc_id in files else len(d.text.encode())
        source = safe_url(d.source)
        rows.append([hover(d.title, d.title), d.doc_id, d.date or "",
                     hover(urlparse(source).netloc, source) if source else "", d.pages or None, d.n_passages,
                     size_label(size)])
    return rows


def library_document(index: Index, doc_id: str, page: int = 1) -> str:
    """A document of the Library with its passage boundaries; a paged one (PDF) one page at a time."""
    try:
        doc = index.document(doc_id)
    except QAError as e:
        return f'<p class="qa-note">{html.escape(str(e))}</p>'
    window, where = None, ""
    if doc.pages:
        page = min(max(1, int(page)), doc.pages)
        window = page_window(doc.text, doc.page_starts, page)
        where = f" · page {page} of {doc.pages} (choose the page above)"
    head = (f'<h3>{html.escape(doc.title)}</h3><p class="qa-cite"><code>{html.escape(doc.doc_id)}</code>'
            f'{" · " + html.escape(doc.date) if doc.date else ""}'
            f'{" · " + source_link(doc.source) if safe_url(doc.source) else ""} · {counted(doc.n_passages, "passage")}'
            f'{where}; ¶n marks where passage n starts; bold text is a heading, the context of the passages below it; '
            f'dimmed text is page debris left out of every passage</p>')
    return head + render_document(doc.text, index.passages_of(doc.doc_id), page_starts=doc.page_starts,
                                  window=window, headings=doc.headings)



def status_html(live: LiveIndex, allow_rebuild: bool) -> str:
    m = live.current.manifest
    changes = live.changes()
    if changes is None:
        fresh = "stale: the corpus folder is gone"
    elif changes:
        fresh = f"stale: {len(changes)} changed ({html.escape(changes.describe(most=10))})"
    else:
        fresh = "fresh"
    cal = live.current.calibration
    rows = [
        ("State", f'<strong class="qa-fresh">{fresh}</strong>'),
        ("Corpus", f"<code>{html.escape(m.corpus)}</code>"),
        ("Model", f"{html.escape(m.model)} ({html.escape(m.backend)}, {m.dimension} dimensions)"),
        ("Documents", f"{m.counts.documents} ({len(m.skipped)} skipped)"),
        ("Passages", f"{m.counts.passages} (at most {m.chunking.max_tokens} word pieces, "
                     f"{m.chunking.overlap_tokens} overlap)"),
        ("Vectors", html.escape(f"{m.index_type}: {m.vectors.describe()}")),
        ("Built at", f"{html.escape(m.built_at)} in {m.build_seconds:.1f} s"
                     f"{' (incremental)' if m.incremental else ''}"),
        ("Generation", f"<code>{html.escape(m.generation)}</code>"),
        ("Abstention thresholds", ", ".join(f"{mode} {live.current.threshold(mode):.3f}" for mode in sorted(MODES))
                                  + (f" (calibrated on {html.escape(cal.calibrated_on)})" if cal else " (default)")),
        ("Rebuild", "allowed" if allow_rebuild else "disabled (start qa serve with --allow-rebuild)"),
    ]
    skipped = "".join(f"<li><code>{html.escape(d)}</code>: {html.escape(r.reason or '')}</li>"
                      for d, r in m.skipped.items())
    skipped += "".join(f"<li><code>{html.escape(d)}</code> (read in part): {html.escape(note)}</li>"
                       for d, r in m.documents.items() for note in r.notes or ())
    skipped += "".join(f"<li><code>{html.escape(u.doc_id)}</code>: {html.escape(u.reason)}</li>" for u in live.unread())
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="qa-status">{table}</table>' + (f"<p>Skipped files:</p><ul>{skipped}</ul>" if skipped else "")


# --- the app -------------------------------------------------------------------------------------------------


def build_app(live: LiveIndex | Index, allow_rebuild: bool = False, gold_path: Path | None = None,
              delete_cache: tuple[int, int] | None = None, allow_evaluate: bool = True, watching: bool = False,
              allow_upload: bool = False):
    """The page's Gradio app. The Evaluate run and the rebuild exist as events only when allowed (a page's events
    can be called by anyone who reaches the port). ``delete_cache`` = (every, older than) seconds: uploaded files
    are removed. ``watching``: the server follows the folder (``qa serve --watch``); ``allow_upload``: documents
    may be added from the page."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr
    import pandas as pd

    if isinstance(live, Index):  # a plain loaded index: serve it as it is
        live = LiveIndex.of(live)
    gold_path = gold_path or _default_gold(live)
    private = {"api_visibility": "private"}
    m = live.current.manifest

    with gr.Blocks(title="qa: ask the documents", delete_cache=delete_cache) as app:
        following = live.following()
        header = gr.HTML(header_html(following, m.corpus), elem_id="qa-header")
        notice = gr.HTML(notice_html(following, watching), elem_id="qa-notice")
        shown = gr.State(following.generation)  # the generation this page's header and Library show
        timer = gr.Timer(POLL_SECONDS)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row():
                    question = gr.Textbox(label="Question", elem_id="question", placeholder="Ask something the documents might say…",
                                          scale=5, min_width=260, autofocus=True, max_length=10_000, lines=1)
                    k = gr.Slider(1, 20, value=5, step=1, label="Passages", scale=1, min_width=150)
                    mode = gr.Dropdown(sorted(MODES), value=DEFAULT_MODE, label="Mode", scale=1, min_width=120)
                within_docs, within_folders, within_types = scope_choices(live.current)
                with gr.Accordion("Search within", open=False, elem_id="within"):
                    with gr.Row():
                        scope_docs = gr.Dropdown(within_docs, multiselect=True, label="Documents", scale=3,
                                                 elem_id="within-docs")
                        scope_folders = gr.Dropdown(within_folders, multiselect=True, label="Folders", scale=2,
                                                    elem_id="within-folders", visible=bool(within_folders))
                        scope_types = gr.Dropdown(within_types, multiselect=True, label="File types", scale=1,
                                                  elem_id="within-types")
                button = gr.Button("Search", variant="primary", elem_id="search-button")
                # the answer right below the button (on a phone the answer box stays on the first screen); the
                # examples and this browser's recent questions below it
                results = gr.HTML(elem_id="results", js_on_load=SCROLL_JS + JUMP_JS)
                copy = gr.Button("Copy answer with citations", size="sm", elem_id="copy-answer")
                gr.HTML(elem_id="recent", js_on_load=RECENT_JS)  # filled by its script from localStorage
                asked = gold_examples(live.corpus)
                examples = gr.Dataset(components=[question], samples=[[q] for q in asked], label="Examples",
                                      elem_id="examples", visible=bool(asked), samples_per_page=len(asked) or 1)

            with gr.Tab("Library", id="library"):
                gr.Markdown("Every document of the index. Choose a row to read it with its passage boundaries.")
                if allow_upload:
                    with gr.Row():
                        adding = gr.File(label=f"Add documents ({', '.join(SUFFIXES)}; at most "
                                               f"{live.settings.max_file_mb:g} MB each, {MAX_ADD_FILES} at a time)",
                                         file_count="multiple", elem_id="add-files", scale=3)
                        add_button = gr.Button("Add to the library", variant="primary", scale=1, elem_id="add-button")
                    add_note = gr.HTML(elem_id="add-note", js_on_load=None)
                docs = gr.Dataframe(
                    value=pd.DataFrame(library_rows(live.current), columns=LIBRARY_COLUMNS),
                    interactive=False, wrap=False, elem_id="library-table", column_widths=LIBRARY_WIDTHS,
                    datatype=LIBRARY_TYPES, elem_classes=["qa-table"])
                doc_page = gr.Number(label="Page (of a PDF)", value=1, minimum=1, precision=0, elem_id="library-page")
                doc_view = gr.HTML(elem_id="library-document", js_on_load=None)
                doc_id = gr.State("")

            with gr.Tab("Evaluate", id="evaluate"):
                gr.Markdown((f"Runs a gold question set against every mode. Default: `{gold_path}`; or upload a "
                             "JSONL file of `{\"id\", \"question\", \"answers\", \"doc_ids\"}` lines (at most "
                             f"{MAX_GOLD_QUESTIONS} questions; one run at a time)."
                             if gold_path else "Upload a gold JSONL file to evaluate.") + (
                    "" if allow_evaluate else "\n\n**Disabled on this server**: start `qa serve` with "
                                              "`--allow-evaluate` (or `--auth`) to run evaluations here, or run "
                                              "`qa eval`."))
                with gr.Row():
                    upload = gr.File(label="Gold set (JSONL)", file_types=[".jsonl"], scale=3, elem_id="eval-upload",
                                     interactive=allow_evaluate)
                    run_eval = gr.Button("Run evaluation", variant="primary", scale=1, interactive=allow_evaluate)
                eval_note = gr.Markdown(elem_id="eval-note")
                metrics = gr.Dataframe(pd.DataFrame(columns=METRIC_COLUMNS), label="Metrics per mode",
                                       interactive=False, elem_id="eval-metrics", elem_classes=["qa-table"])
                # one bar per (metric, mode): side by side, never stacked
                chart = gr.BarPlot(x="metric · mode", y="value", color="mode", label="Metrics", elem_id="eval-chart",
                                   y_lim=[0, 1], sort=None, x_label_angle=-45)
                questions = gr.Dataframe(pd.DataFrame(columns=QUESTION_COLUMNS),
                                         label="Questions (choose a row to see what was retrieved)",
                                         interactive=False, wrap=False, elem_id="eval-questions",
                                         column_widths=QUESTION_WIDTHS, datatype=["str", "html", "str", "str", "str", "str", "str", "str"],
                                         elem_classes=["qa-table"])
                retrieved = gr.HTML(elem_id="eval-retrieved", js_on_load=None)
                per_question = gr.State([])

            with gr.Tab("Index", id="index"):
                status = gr.HTML(status_html(live, allow_rebuild), elem_id="index-status", js_on_load=None)
                with gr.Row():
                    refresh = gr.Button("Refresh status")
                    rebuild = gr.Button("Rebuild index", variant="primary", interactive=allow_rebuild,
                                        elem_id="rebuild")
                rebuild_note = gr.Markdown(elem_id="rebuild-note")

        def ask_within(q: str | None = None, top_k: float | None = 5, search_mode: str | None = DEFAULT_MODE,
                       docs_in=None, folders_in=None, types_in=None) -> str:
            # anyone may call this route with anything: a bad k, mode or scope gets the page's note, never an error
            try:
                k_value = check_k(5 if top_k is None else top_k)
                checked_mode = check_mode(search_mode or DEFAULT_MODE)
                scope = Scope.of(doc=docs_in or None, folder=folders_in or None, type=types_in or None)
            except QAError as e:
                return f'<p class="qa-note">{html.escape(str(e))}</p>'
            return ("" if watching else stale_note(live)) + answer(live.current, q, k_value, checked_mode,
                                                                   scope=scope)

        def search(q: str, top_k: float = 5, search_mode: str = DEFAULT_MODE) -> str:
            """The page's answer to a question, as HTML (the JSON API, /api/ask, answers the same as data)."""
            return ask_within(q, top_k, search_mode)

        # preprocess=False: the raw values reach search(), which checks them itself (a component's own check would
        # answer a bad k from a raw API call with an empty error). The page's own events carry its "Search within"
        # choices; the public route keeps its three inputs (question, k, mode).
        asked_with = [question, k, mode, scope_docs, scope_folders, scope_types]
        button.click(ask_within, asked_with, results, preprocess=False, js=REMEMBER_JS, **private)
        gr.api(search, api_name="search")
        question.submit(ask_within, asked_with, results, preprocess=False, js=REMEMBER_JS, **private)
        copy.click(None, None, None, js=COPY_JS)

        def open_shared(request: gr.Request):
            """A link /?q=...&k=&mode= opens the page with that question answered."""
            try:
                shared = shared_question(dict(request.query_params), lambda top_k, m: (
                    check_k(top_k), check_mode(m or DEFAULT_MODE)))
            except QAError as e:
                return gr.skip(), gr.skip(), gr.skip(), f'<p class="qa-note">{html.escape(str(e))}</p>'
            if shared is None:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip()
            q, top_k, m = shared
            return q, top_k, m, search(q, top_k, m)

        app.load(open_shared, None, [question, k, mode, results], **private)
        examples.click(lambda sample: sample[0], examples, question, **private).then(
            ask_within, asked_with, results, preprocess=False, **private)

        def follow(seen: str):
            """The notice, and the header and Library once a new generation is live (else left as they are)."""
            now = live.following()
            if now.generation == seen:
                return notice_html(now, watching), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            rows = pd.DataFrame(library_rows(live.current), columns=LIBRARY_COLUMNS)
            within = scope_choices(live.current)
            return (notice_html(now, watching), header_html(now, m.corpus), rows, now.generation,
                    gr.update(choices=within[0]), gr.update(choices=within[1], visible=bool(within[1])),
                    gr.update(choices=within[2]))

        timer.tick(follow, shown, [notice, header, docs, shown, scope_docs, scope_folders, scope_types],
                   show_progress="hidden", **private)

        def open_document(evt: gr.SelectData):
            row = evt.row_value if evt.row_value else None
            return (library_document(live.current, row[1]), row[1], 1) if row else ("", "", 1)

        def turn_page(chosen: str, page: float | None):
            """The page asked for, or the nearest one there is: a number beyond the last shows the last page and
            the box says so."""
            if not chosen:
                return "", gr.skip()
            asked = int(page or 1)
            try:
                shown = min(max(1, asked), live.current.document(chosen).pages or 1)
            except QAError:
                shown = asked
            return library_document(live.current, chosen, shown), (shown if shown != asked else gr.skip())

        docs.select(open_document, None, [doc_view, doc_id, doc_page], **private)

        if allow_upload:
            def add(files, progress=gr.Progress()):
                """Raw values (preprocess=False): the name each file was offered under, which Gradio's own
                preprocessing would have cut to its last part (so ``../../x.txt`` would pass as ``x.txt``)."""
                pairs, foreign = [], []
                for f in files if isinstance(files, list) else []:
                    path = f.get("path") if isinstance(f, dict) else None
                    if isinstance(path, str) and _uploaded(Path(path)):
                        pairs.append((str(f.get("orig_name") or Path(path).name), Path(path)))
                    else:
                        foreign.append(str(path))
                try:
                    note = add_documents(live, pairs, lambda phase, done, total: progress(
                        done / total if total else None, desc=phase))
                finally:
                    for _, path in pairs:
                        path.unlink(missing_ok=True)
                if foreign:
                    note += '<p class="qa-note">Only files uploaded to this page can be added.</p>'
                return note, None

            add_button.click(add, adding, [add_note, adding], preprocess=False, concurrency_limit=1,
                             concurrency_id="add", **private)
        doc_page.change(turn_page, [doc_id, doc_page], [doc_view, doc_page], **private)

        def evaluate(file, progress=gr.Progress()):
            """A generator, so that it stops when the visitor leaves (see ``_while_watched``); bounded by the upload
            cap, MAX_GOLD_QUESTIONS and one run at a time; an uploaded file is deleted once read."""
            path = Path(file) if file else gold_path
            if path is None:
                yield "Upload a gold set first.", None, None, None, []
                return
            if file and not _uploaded(path):  # a hand-made call may name any path on the server
                yield "**Cannot read the gold set:** only a file uploaded to this page can be evaluated.", None, \
                    None, None, []
                return
            try:
                gold = load_gold(path, max_questions=MAX_GOLD_QUESTIONS)
            except QAError as e:
                yield f"**Cannot read the gold set:** {html.escape(str(e))}", None, None, None, []
                return
            finally:
                if file:
                    Path(file).unlink(missing_ok=True)
            modes = sorted(MODES)
            progress(0, desc="evaluating")
            # the run's thread only records how far it got: Gradio's progress reaches the page from this one
            done = [0, 1]
            run = _while_watched(lambda alive: evaluate_gold(
                live.current, gold, modes, progress=lambda n, total: (alive(), done.__setitem__(slice(None), [n, total]))))
            results = None
            for results in run:
                if results is None:
                    progress(done[0] / max(1, done[1]), desc=f"evaluating: {done[0]} of {done[1]}")
                    yield (gr.skip(),) * 5
            if results is None:
                return
            keys = GOLD_COLUMNS
            table = pd.DataFrame([[mode, *(round(r.summary()[k], 3) for k in keys),
                                   r.summary()["latency_p50_ms"]] for mode, r in results.items()],
                                 columns=METRIC_COLUMNS)
            long = pd.DataFrame([[mode, f"{key} · {mode}", r.metrics[key]] for key in GOLD_METRICS
                                 for mode, r in results.items()], columns=["mode", "metric · mode", "value"])
            rows = results[DEFAULT_MODE].per_question
            qtable = pd.DataFrame([[r["id"], hover(r["question"], r["question"]), _verdict(r),
                                    r["first_relevant_rank"] or "", "yes" if r["abstained"] else "no", r["answer"],
                                    "" if r["em"] is None else int(r["em"]), "" if r["f1"] is None else r["f1"]]
                                   for r in rows],
                                  columns=QUESTION_COLUMNS)
            note = (f"{len(gold)} questions from `{html.escape(path.name)}`; questions table: "
                    f"{DEFAULT_MODE} mode. Pass = an answerable question with a relevant passage in the top 5 "
                    f"and no abstention, or an unanswerable one abstained on.")
            yield note, table, long, qtable, rows

        if allow_evaluate:
            run_eval.click(evaluate, [upload], [eval_note, metrics, chart, questions, per_question],
                           show_progress_on=[eval_note], concurrency_limit=1, concurrency_id="evaluate", time_limit=EVALUATE_SECONDS, **private)

        def show_retrieved(rows: list, evt: gr.SelectData) -> str:
            if not rows or evt.index is None:
                return ""
            r = rows[evt.index[0]]
            items = "".join(
                f'<li class="{"qa-relevant" if h.get("relevant") else "qa-irrelevant"}">'
                f'<strong>{"relevant" if h.get("relevant") else "not relevant"}</strong> · '
                f'<code>{html.escape(h["doc_id"])}</code> characters {h["start"]}–{h["end"]}: '
                f'<span class="qa-text">{html.escape(cut_words(h["text"], 400))}</span></li>'
                for h in r["retrieved"])
            return (f"<p><strong>{html.escape(r['id'])}</strong> {html.escape(r['question'])} — "
                    f"{_verdict(r)}</p><ol>{items}</ol>")

        questions.select(show_retrieved, [per_question], retrieved, **private)
        refresh.click(lambda: status_html(live, allow_rebuild), None, status, **private)

        if allow_rebuild:
            def do_rebuild(progress=gr.Progress()):
                def report(phase: str, done: int, total: int) -> None:
                    progress(done / total if total > 0 else None, desc=phase)

                try:
                    r = live.rebuild(report)
                except QAError as e:
                    return f"**Rebuild failed:** {html.escape(str(e))}", status_html(live, allow_rebuild)
                return (f"Rebuilt: {r.documents} documents, {r.passages} passages ({r.embedded} embedded, "
                        f"{r.reused} reused) in {r.seconds:.1f} s.", status_html(live, allow_rebuild))

            # state-changing, so in the API only when the server was started with --allow-rebuild
            rebuild.click(do_rebuild, None, [rebuild_note, status], concurrency_limit=1, api_name="rebuild")
    return app


class _Gone(Exception):
    """The visitor who started a long run has left."""


def _while_watched(work, poll: float = 0.5, patience: float = 10.0):
    """Run ``work(alive)`` in a thread while this generator is being iterated: it yields None every ``poll``
    seconds, then the result. Gradio stops iterating a generator whose visitor disconnected; ``alive()``, which
    ``work`` calls now and then, raises once nobody has asked for more for ``patience`` seconds, so the run stops
    instead of holding the cores for nobody."""
    pulled = [time.monotonic()]
    done = threading.Event()
    out: dict = {}

    def alive() -> None:
        if time.monotonic() - pulled[0] > patience:
            raise _Gone()

    def target() -> None:
        try:
            out["result"] = work(alive)
        except _Gone:
            out["gone"] = True
        except BaseException as e:  # re-raised in the generator, where Gradio reports it
            out["error"] = e
        finally:
            done.set()

    threading.Thread(target=target, name="qa-evaluate", daemon=True).start()
    while not done.wait(poll):
        pulled[0] = time.monotonic()
        yield None
        pulled[0] = time.monotonic()
    if "error" in out:
        raise out["error"]
    if "result" in out:
        yield out["result"]


def _uploaded(path: Path) -> bool:
    """Whether ``path`` is a file in this server's upload folder (Gradio checks this only for apps it launched
    itself; ours is mounted)."""
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder()).resolve()
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return resolved.is_file() and folder in resolved.parents


def _verdict(row: dict) -> str:
    if not row["answerable"]:
        return "pass" if row["abstained"] else "fail"
    rank = row["first_relevant_rank"]
    return "pass" if rank is not None and rank <= 5 and not row["abstained"] else "fail"


def _default_gold(live: LiveIndex) -> Path | None:
    path = live.corpus / GOLD
    return path if path.is_file() else None
