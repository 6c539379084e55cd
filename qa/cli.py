"""The ``qa`` command, a thin layer over ``qa.service``. Each command imports what it needs (FAISS, Gradio, the
evaluation) inside itself, so that ``qa ask`` never pays for the web page or torch."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .errors import QAError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + error
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def _k(value: str) -> int:
    """-k, checked as every interface checks it (``qa.index.check_k``)."""
    from .index import check_k

    try:
        return check_k(value)
    except QAError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _common_options() -> argparse.ArgumentParser:
    """The options every command shares, defined once: which corpus, which index, which model and backend."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, metavar="FOLDER", help="corpus folder (default: $QA_CORPUS or the "
                        "bundled seeds/)")
    common.add_argument("--index-dir", type=Path, help="where the index lives (default: index/ for seeds/, "
                        "index/corpora/<name>-<hash>/ for any other folder)")
    common.add_argument("--model", help="sentence-transformers model: a folder or a cached hub name (default: "
                        "$QA_MODEL or the bundled all-MiniLM-L6-v2); an index answers only with its own")
    common.add_argument("--backend", help="how vectors are computed: onnx-int8 or sentence-transformers-fp32 "
                        "(default: $QA_BACKEND or onnx-int8); an index answers only with its own")
    return common


def _folder_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", nargs="?", type=Path, metavar="FOLDER", help="corpus folder, the same as --corpus")


def _corpus(args) -> Path | None:
    """FOLDER and --corpus name the same thing; both may be given only when they agree."""
    folder = getattr(args, "folder", None)
    if folder is not None and args.corpus is not None and Path(folder).resolve() != Path(args.corpus).resolve():
        raise QAError(f"FOLDER {folder} and --corpus {args.corpus} disagree; give one of them")
    return folder if folder is not None else args.corpus


def _settings(args, **overrides):
    from .config import Settings

    return Settings.from_env(model=args.model, backend=args.backend, **overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qa", description="Answer questions from a folder of documents, with cited passages.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = [_common_options()]

    p = sub.add_parser("index", parents=common, help="(re)build the index of a folder")
    _folder_argument(p)
    p.add_argument("--max-tokens", type=_positive_int, help="passage size in word pieces (default 200)")
    p.add_argument("--overlap-tokens", type=int, help="word pieces of whole sentences shared by neighbours "
                   "(default 48)")
    p.add_argument("--max-file-mb", type=float, help="skip files larger than this (default 10)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--ray", metavar="ADDRESS", help="read and embed on a Ray cluster: local (start one here for the "
                   "run; local:N with N worker CPUs), auto (join the one running here) or ray://HOST:PORT (default: "
                   "$QA_RAY_ADDRESS; needs pip install 'qa[ray]')")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("ask", parents=common, help="answer a question with the best passages")
    p.set_defaults(func=cmd_ask)
    p.add_argument("question", nargs="?", help="the question (or --file)")
    p.add_argument("-k", type=_k, default=5, help="how many passages (default 5, at most 50)")
    p.add_argument("--mode", default=None, help="retrieval mode: dense, lexical or hybrid (default: hybrid)")
    p.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    p.add_argument("--file", type=Path, metavar="FILE", help="answer every question of FILE instead, printing one "
                   "JSON object a line: a .txt file holds a question a line, a .jsonl file an object a line "
                   "{\"question\", \"k\", \"mode\", \"id\"} and scope fields (- reads standard input as .txt)")
    scope = p.add_argument_group("scope", "answer only from part of the corpus: the options combine with AND; an "
                                 "option given twice (or a comma-separated list) means either")
    scope.add_argument("--doc", action="append", metavar="ID", help="only this document (its id, as cited)")
    scope.add_argument("--folder", action="append", metavar="PATH", help="only documents under this folder of the "
                       "corpus")
    scope.add_argument("--type", action="append", metavar="TYPE", help="only files of this type: txt, md, html, "
                       "pdf or docx")
    scope.add_argument("--kind", action="append", metavar="KIND", help="only passages of this kind: text, caption, "
                       "table or ocr")
    scope.add_argument("--since", metavar="DATE", help="only documents dated on or after DATE (YYYY, YYYY-MM or "
                       "YYYY-MM-DD; undated documents are left out)")
    scope.add_argument("--until", metavar="DATE", help="only documents dated on or before DATE")
    scope.add_argument("--pages", metavar="N-M", help="only these pages of PDF documents, e.g. 2-5")

    p = sub.add_parser("mcp", parents=common, help="serve the index's tools to an assistant over MCP (stdio)")
    _folder_argument(p)
    p.set_defaults(func=cmd_mcp)

    p = sub.add_parser("eval", parents=common, help="measure retrieval on a gold question set or a BEIR collection")
    p.add_argument("--gold", type=Path, help="gold questions, JSONL (default: the corpus's own gold.jsonl)")
    p.add_argument("--beir", type=Path, help="a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    p.add_argument("--mode", default="all", help="dense, lexical, hybrid or all (default: all)")
    p.add_argument("--json", type=Path, help="also write the metrics to this JSON file")
    p.add_argument("--failures", action="store_true", help="list each missed question with what came back")
    p.add_argument("--unanswerable", type=Path, metavar="FILE", help="questions this corpus cannot answer (JSONL "
                   "like --gold; e.g. another collection's): how many each mode abstains on (default for the "
                   "bundled seeds: gold/offtopic.jsonl)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", parents=common, help="serve the web page")
    _folder_argument(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--allow-rebuild", action="store_true", help="enable the page's rebuild button")
    p.add_argument("--allow-evaluate", action="store_true", help="let anonymous visitors run the page's Evaluate "
                   "(on with --auth)")
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require this login (for a shared server; anyone on this "
                   "machine can read it in the process list: prefer --auth-file or $QA_AUTH)")
    p.add_argument("--auth-file", type=Path, metavar="FILE", help="require the login written in FILE as one line "
                   "USER:PASSWORD (default: $QA_AUTH, if set)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME", help="also answer requests for this "
                   "host name (repeatable; loopback names and the --host address are always allowed)")
    p.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS", help="believe X-Forwarded-* "
                   "headers from this proxy address (repeatable; default: from nobody)")
    p.add_argument("--max-file-mb", type=float, help="skip files larger than this when building, and refuse "
                   "larger uploads (default 10)")
    p.add_argument("--allow-upload", action="store_true", help="let visitors add documents from the page: files of "
                   "the readable kinds, up to --max-file-mb each, written into the folder and indexed (on with --auth)")
    p.add_argument("--watch", action="store_true", help="follow the folder: update the index (incrementally, in the "
                   "background) when files are added, changed, renamed or deleted; the page shows it without a reload")
    p.add_argument("--replica", action="store_true", help="serve the index another process builds: never build it "
                   "(not even when it is stale), switch to each new generation a build makes")
    p.add_argument("--processes", type=int, metavar="N", help="answer /api/ask in N worker processes, each with the "
                   "index loaded (default: one per core; 0: in threads of the server process, one copy in memory)")
    p.set_defaults(func=cmd_serve)
    return parser


# --- progress ------------------------------------------------------------------------------------------------


class _Bar:
    """tqdm progress bars on a terminal, nothing otherwise: documents read, and the pages of a long one (a
    500-page PDF moves its own bar page by page)."""

    UNITS = {"reading": ("doc", "indexing", 0), "pages": ("page", "pages", 1), "embedding": ("passage", "embedded", 2)}

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.bars: dict = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled or phase not in self.UNITS:
            return
        total = total if total >= 0 else None  # a count without an end: tqdm shows the rate alone
        bar = self.bars.get(phase)
        if bar is None or bar.total != total:
            from tqdm import tqdm

            if bar is not None:
                bar.close()
            unit, desc, position = self.UNITS[phase]
            bar = self.bars[phase] = tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, leave=False,
                                          position=position)
        bar.n = done
        bar.refresh()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _build(corpus: Path | None, index_dir: Path | None, settings, quiet: bool, ray: str | None = None):
    from .config import resolve_paths
    from .service import build_index

    corpus, index_dir = resolve_paths(corpus, index_dir)
    bar = _Bar(not quiet)
    try:
        return build_index(corpus, index_dir, settings, progress=bar, ray=ray)
    finally:
        bar.close()


def _summary(report) -> str:
    how = (f"incrementally: {report.read} changed file{'s' if report.read != 1 else ''} read"
           if report.incremental else f"{report.read} files read")
    lines = [
        f"indexed {report.documents} document{'s' if report.documents != 1 else ''} into "
        f"{report.passages} passages ({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f} s"
        f" ({how})",
        f"model {report.settings.model} ({report.settings.backend}); passages of at most "
        f"{report.settings.max_tokens} word pieces, {report.settings.overlap_tokens} overlap",
        f"vectors: {report.vectors.describe()}",
        f"index {report.index_dir} (generation {report.generation})",
    ]
    if report.ocr_pages:  # scans: their passages are kind "ocr"
        pages, passages = report.ocr_pages, report.ocr_passages
        lines.insert(1, f"read by OCR: {pages} scanned page{'s' if pages != 1 else ''} without a text layer, "
                        f"{passages} passage{'s' if passages != 1 else ''}")
    return "\n".join(lines)


def _warn_skipped(report) -> None:
    for s in report.skipped:
        print(f"qa: warning: skipped {s.doc_id}: {s.reason}", file=sys.stderr)
    for note in report.notes:
        print(f"qa: warning: read {note.doc_id} in part: {note.reason}", file=sys.stderr)


# --- commands ------------------------------------------------------------------------------------------------


def cmd_index(args) -> int:
    settings = _settings(args, max_tokens=args.max_tokens, overlap_tokens=args.overlap_tokens,
                         max_file_mb=args.max_file_mb)
    from .config import ray_address

    report = _build(_corpus(args), args.index_dir, settings, args.quiet, args.ray or ray_address())
    _warn_skipped(report)
    print(_summary(report))
    return 0


def _open_index(corpus: Path | None, index_dir: Path | None, settings, rebuild_stale: bool, quiet: bool = False):
    """Open an index, building it first when it is missing (or stale, if asked)."""
    from .service import open_index

    bar = _Bar(not quiet)
    try:
        index, report = open_index(corpus, index_dir, settings, rebuild_stale=rebuild_stale, progress=bar)
    finally:
        bar.close()
    if report is not None:
        _warn_skipped(report)
        print(f"qa: built the index of {index.corpus}: {report.documents} documents, {report.passages} passages "
              f"in {report.seconds:.1f} s", file=sys.stderr)
    return index


def cmd_ask(args) -> int:
    from .index import DEFAULT_MODE, check_mode, check_question
    from .rank.scope import Scope

    mode = check_mode(args.mode or DEFAULT_MODE)  # checked before anything is loaded
    args.scope = Scope.of(args.doc, args.folder, args.type, args.kind, args.since, args.until, args.pages)
    if (args.question is None) == (args.file is None):
        raise QAError('give a question, or --file FILE of questions (not both): qa ask "Who issued Resolution 59?"')
    if args.file is not None:
        return _ask_file(args, mode)
    question = check_question(args.question, cut_long=True)
    index = _open_index(args.corpus, args.index_dir, _settings(args), rebuild_stale=False, quiet=True)
    answer = index.answer(question, k=args.k, mode=mode, scope=args.scope)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if not answer.scope.everything:
        print(f"Within {answer.scope.describe()}:\n")
    _print_short(answer)
    if not answer.hits:
        print("No passages in the index.")
    _print_conflicts(answer)
    from .index import KIND_LABELS

    for h in answer.hits:
        where = f"passage {h.passage} of {h.passages_in_doc}, characters {h.start}-{h.end}"
        if h.pages:
            where = f"{_pages(h.pages)}, {where}"
        if h.kind in KIND_LABELS:
            where = f"{KIND_LABELS[h.kind]}, {where}"
        print(f"[{h.rank}] {h.title}  (score {h.score:.3f})")
        print(f"    {h.doc_id} · {where}" + (f" · {h.date}" if h.date else ""))
        if h.source:
            print(f"    {h.source}")
        for s, e in h.answer_spans:
            print(f"    answer: {' '.join(h.text[s - h.start:e - h.start].split())}")
        # a table's rows as the model read them, each cell named by its column (its context after the headings)
        shown = h.context.split("\n")[1:] if h.kind == "table" else h.text.splitlines()
        for line in shown:
            if line.strip():
                print(f"    | {line.strip()}")
        for place in h.also_in:
            print(f"    also in: {place.doc_id}, characters {place.start}-{place.end}")
        print()
    return 0


def _ask_file(args, mode: str) -> int:
    """``qa ask --file``: every question of a file answered, one JSON object a line, in order; exit 2 when any line
    was refused (each refusal is its line's {"error"}; the others are answered all the same)."""
    from .serve.asking import Question

    lines = _question_lines(args.file)
    index = _open_index(args.corpus, args.index_dir, _settings(args), rebuild_stale=False, quiet=True)
    refused = 0
    for item in lines:
        line_id = item.get("id") if isinstance(item, dict) else None
        try:
            if isinstance(item, QAError):
                raise item
            q = Question.from_json(item, args.k, mode, args.scope)
            out = index.answer(q.text, k=q.k, mode=q.mode, scope=q.scope).to_dict()
        except QAError as e:
            refused += 1
            out = {"error": str(e)}
        print(json.dumps({"id": line_id, **out} if line_id is not None else out, ensure_ascii=False), flush=True)
    return EXIT_USAGE if refused else 0


def _question_lines(path: Path):
    """The questions of a .txt file (one a line; blank lines skipped) or a .jsonl file (one JSON value a line; a line
    that is not JSON is a question refused), read as they come."""
    jsonl = path.suffix.lower() in (".jsonl", ".json")
    if str(path) != "-" and not path.is_file():
        raise QAError(f"no such file of questions: {path}")
    stream = sys.stdin if str(path) == "-" else open(path, encoding="utf-8-sig", errors="replace")
    return _lines(stream, jsonl)


def _lines(stream, jsonl: bool):
    with stream:
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            if not jsonl:
                yield line.rstrip("\r\n")
                continue
            try:
                yield json.loads(line)
            except ValueError:
                yield QAError(f"line {n} is not JSON; a .jsonl file holds one object a line")


def _print_short(answer) -> None:
    """The short answer first ("Answer: 194 — 2 sources · 195 — 1 source"), with its sentence; or why there is none."""
    short = answer.short
    if answer.abstained:
        print(f"{answer.abstain_reason} Nearest passages, low confidence:\n")
        return
    if short is None:
        return

    def sources(n: int) -> str:
        return f"{n} source" + ("s" if n != 1 else "")

    values = [f"{short.text} — {sources(len(short.hits))}"]
    values += [f"{a.text} — {sources(len(a.hits))}" for a in short.alternatives]
    print("Answer: " + " · ".join(values) + f"  (confidence {short.confidence:.2f})")
    hit = next((h for h in answer.hits if h.doc_id == short.doc_id and h.start <= short.start < h.end), None)
    if hit is not None and hit.start <= short.sentence[0] and short.sentence[1] <= hit.end:
        text = hit.text
        s, e = short.sentence[0] - hit.start, short.sentence[1] - hit.start
        a, b = short.start - hit.start, short.end - hit.start
        print("    " + " ".join((text[s:a] + "[" + text[a:b] + "]" + text[b:e]).split()))
    cited = ", ".join(f"[{r}]" for r in short.hits)
    print(f"    {short.doc_id}, characters {short.start}-{short.end}; stated by {cited}\n")


def _print_conflicts(answer) -> None:
    """The "Sources disagree:" block: each value, its words, and the hits (with their documents' dates) that say so."""
    if not answer.conflicts:
        return
    by_rank = {h.rank: h for h in answer.hits}
    print("Sources disagree:")
    for conflict in answer.conflicts:
        print(f"  about {conflict.about}:")
        for value in conflict.values:
            sources = ", ".join(f"[{r}] {by_rank[r].doc_id}" + (f" ({by_rank[r].date})" if by_rank[r].date else "")
                                for r in value.hits if r in by_rank)
            print(f"    {value.value}: \"{value.quote}\" in {sources}")
    print()


def _pages(pages: tuple[int, ...]) -> str:
    return f"page {pages[0]}" if len(pages) == 1 else f"pages {pages[0]}-{pages[-1]}"


def cmd_eval(args) -> int:

    from .config import GOLD, PROJECT_ROOT, default_corpus, index_root, resolve_paths
    from .evaluate import (
        BEIR_METRICS,
        GOLD_COLUMNS,
        evaluate_beir,
        evaluate_gold,
        format_scopes,
        format_table,
        load_beir,
        load_gold,
        materialise_beir,
    )
    from .index import MODES, check_mode

    modes = sorted(MODES) if check_mode(args.mode, extra=("all",)) == "all" else [args.mode]
    settings = _settings(args)
    report: dict = {"modes": {}}
    if args.beir:
        corpus, queries, qrels = load_beir(args.beir)
        name = Path(args.beir).resolve().name
        workdir = index_root() / "beir" / name
        names = materialise_beir(corpus, workdir / "corpus")
        index = _open_index(workdir / "corpus", args.index_dir or workdir / "index", settings, rebuild_stale=True)
        results = evaluate_beir(index, queries, qrels, names, modes)
        print(f"BEIR {name}: {len(corpus)} documents, {sum(q in qrels for q in queries)} judged queries, "
              f"{index.size} passages; a document scores as its best passage")
        print(format_table(results, list(BEIR_METRICS)))
    else:
        corpus = resolve_paths(args.corpus, args.index_dir)[0]
        gold_path = Path(args.gold) if args.gold else corpus / GOLD
        if not gold_path.is_file():
            raise QAError(f"no gold set: {gold_path} does not exist; give one with --gold FILE" if args.gold else
                          f"{corpus} has no {GOLD}; give a gold question set with --gold FILE")
        gold = load_gold(gold_path)
        index = _open_index(args.corpus, args.index_dir, settings, rebuild_stale=False)
        results = evaluate_gold(index, gold, modes)
        n_un = sum(not g.answerable for g in gold)
        print(f"gold {gold_path}: {len(gold) - n_un} answerable and {n_un} unanswerable questions; "
              f"{index.size} passages")
        print(format_table(results, GOLD_COLUMNS))
        if format_scopes(results):
            print(f"\nper scope (a question's scope is its gold line's \"scope\"):\n{format_scopes(results)}")
        report["abstained_wrongly"] = _print_false_abstention(results)
        offtopic = Path(args.unanswerable) if args.unanswerable else (
            PROJECT_ROOT / "gold" / "offtopic.jsonl" if index.corpus == default_corpus() else None)
        report["abstention"] = _print_abstention(index, gold, gold_path, modes,
                                                 load_gold(offtopic) if offtopic else [], offtopic)
    if args.failures and not args.beir:
        for mode, r in results.items():
            missed = [q for q in r.per_question if (q["answerable"] and q["first_relevant_rank"] != 1)
                      or (q["answerable"] == q["abstained"]) or (q["answerable"] and not q["em"])]
            print(f"\n{mode}: {len(missed)} questions missed (no relevant passage first, wrong abstention, or a "
                  "short answer that is not exactly the gold one)")
            for q in missed:
                why = ("abstained wrongly" if q["answerable"] and q["abstained"] else
                       "not abstained" if not q["answerable"] else
                       f"first relevant at {q['first_relevant_rank']}" if q["first_relevant_rank"] != 1 else
                       "short answer")
                print(f"  {q['id']} [{why}; confidence {q['confidence']}] {q['question']}")
                if q["answerable"]:
                    print(f"      answer: {q['answer'] or '(none)'!r}  EM {q['em']:.0f}  F1 {q['f1']:.2f}"
                          + (f"  ({q['abstain_reason']})" if q["abstained"] else ""))
                for hit in q["retrieved"][:2]:
                    print(f"      -> {hit['doc_id']} {hit['start']}-{hit['end']}: {' '.join(hit['text'].split())[:110]}")
    report["modes"] = {mode: r.summary() for mode, r in results.items()}
    if args.json:
        _write_json(Path(args.json), report)
    return 0


def _print_false_abstention(results) -> dict:
    """How many answerable questions each mode refused (for low confidence, or for want of a value of the kind
    asked), with a 95 % interval."""
    from .evaluate import text_table, wilson

    rows, report = [], {}
    for mode, r in results.items():
        answerable = [q for q in r.per_question if q["answerable"]]
        wrong = sum(q["abstained"] for q in answerable)
        by_kind = sum(q["abstained"] and "do not say" in (q["abstain_reason"] or "") for q in answerable)
        lo, hi = wilson(wrong, len(answerable))
        rows.append([mode, f"{wrong}/{len(answerable)} = {wrong / max(1, len(answerable)):.1%} ({lo:.1%}-{hi:.1%})",
                     str(by_kind)])
        report[mode] = {"wrong": wrong, "answerable": len(answerable), "interval": [round(lo, 4), round(hi, 4)],
                        "by_kind": by_kind}
    print("\nanswerable questions abstained on (this gold set, thresholds as in use)")
    print(text_table(["mode", "abstained wrongly (95% interval)", "of them: no value of the kind asked"], rows))
    return report


def _print_abstention(index, gold, gold_path: Path, modes: list[str], offtopic: list, offtopic_path) -> dict:
    """Each mode's threshold, its held-back check on this gold set (calibrated on one half, scored on the other,
    both ways round) with a 95 % interval, and how many questions unanswerable by construction it catches."""
    from .evaluate import calibration, confidences, text_table, wilson

    cal = index.calibration
    where = f"calibrated on {cal.calibrated_on}" if cal else "the defaults: no gold.jsonl calibrated for this version"
    print(f"\nabstention ({where}); held back: calibrated on one half of {gold_path.name}, scored on the other")
    held = calibration(index, gold, gold_path.name)
    header = ["mode", "threshold", "wrongly abstained, held back (95% interval)", "unanswerable caught, held back"]
    if offtopic:
        header.append(f"caught of {len(offtopic)} off-topic ({offtopic_path.name})")
    rows, report = [], {}
    for mode in modes:
        halves = held.modes[mode].held_back
        wrong, answerable = sum(h.held_back_wrong for h in halves), sum(h.held_back_answerable for h in halves)
        caught, unanswerable = sum(h.held_back_caught for h in halves), sum(h.held_back_unanswerable for h in halves)
        lo, hi = wilson(wrong, answerable)
        threshold = index.threshold(mode)
        row = [mode, f"{threshold:.4f}", f"{wrong}/{answerable} = {wrong / max(1, answerable):.1%} "
                                         f"({lo:.1%}-{hi:.1%})", f"{caught}/{unanswerable}"]
        report[mode] = {"threshold": threshold, "held_back_wrong": wrong, "held_back_answerable": answerable,
                        "held_back_wrong_interval": [round(lo, 4), round(hi, 4)], "held_back_caught": caught,
                        "held_back_unanswerable": unanswerable}
        if offtopic:
            n = sum(c < threshold for c in confidences(index, offtopic, mode))
            row.append(f"{n}/{len(offtopic)}")
            report[mode]["offtopic_caught"], report[mode]["offtopic"] = n, len(offtopic)
        rows.append(row)
    print(text_table(header, rows))
    return report


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def cmd_serve(args) -> int:
    settings = _settings(args, max_file_mb=args.max_file_mb)
    if not 0 < args.port < 65536:
        raise QAError(f"--port must be between 1 and 65535, got {args.port}")
    if args.processes is not None and args.processes < 0:
        raise QAError(f"--processes must be 0 or more, got {args.processes}")
    if args.watch and args.replica:
        raise QAError("--watch builds the index and --replica never does; give one of them")
    auth = _auth(args)
    from .serve.server import bind, serve
    from .service import LiveIndex

    sock = bind(args.host, args.port)  # a busy port is one line, before anything is built or claims to serve
    if args.replica:
        from .config import resolve_paths
        from .index import Index

        index = Index.open(resolve_paths(_corpus(args), args.index_dir)[1], settings=settings, check=False)
    else:
        index = _open_index(_corpus(args), args.index_dir, settings, rebuild_stale=True)
    serve(LiveIndex.of(index), host=args.host, port=args.port, allow_rebuild=args.allow_rebuild, auth=auth,
          allow_evaluate=args.allow_evaluate, processes=args.processes, allow_hosts=tuple(args.allow_host),
          trusted_proxies=tuple(args.trusted_proxy), sock=sock, follow=args.watch,
          allow_upload=args.allow_upload)
    return 0


def _auth(args) -> tuple[str, str] | None:
    """The login of --auth, --auth-file or $QA_AUTH (in that order), as (user, password)."""
    from .config import auth_from_env

    if args.auth is not None and args.auth_file is not None:
        raise QAError("give --auth or --auth-file, not both")
    if args.auth_file is not None:
        try:
            line = args.auth_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise QAError(f"cannot read --auth-file {args.auth_file}: {getattr(e, 'strerror', None) or e}") from None
        where = f"--auth-file {args.auth_file}"
    elif args.auth is not None:
        line, where = args.auth, "--auth"
    else:
        line, where = auth_from_env(), "QA_AUTH"
        if line is None:
            return None
    user, sep, password = line.partition(":")
    if not sep or not user or not password or "\n" in line:
        raise QAError(f"{where} must be USER:PASSWORD on one line, both non-empty")
    return user, password


def cmd_mcp(args) -> int:
    """``qa mcp``: the index's tools over stdio, for an assistant that starts qa itself. Everything but the protocol
    goes to stderr."""
    index = _open_index(_corpus(args), args.index_dir, _settings(args), rebuild_stale=True, quiet=True)
    from .serve.mcp import run_stdio
    from .service import LiveIndex

    print(f"qa: MCP tools for {index.corpus} ({index.size} passages) on stdio", file=sys.stderr)
    run_stdio(LiveIndex.of(index))
    return 0


def main(argv: list[str] | None = None) -> int:
    # The process is ours: weights are never downloaded (every loader also says local_files_only), and the
    # tokenizers library need not warn about forks.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except QAError as e:
        print(f"qa: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as e:  # a disk or permission problem: say which file, keep the traceback out
        where = f": {e.filename}" if getattr(e, "filename", None) else ""
        print(f"qa: error: {e.strerror or e}{where}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
