"""Measuring retrieval: gold question sets (relevance by answer text) and BEIR collections (graded qrels).

Metrics come from ir-measures (pytrec_eval underneath); this module only decides what is relevant and what was
retrieved.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import GOLD, Settings
from .errors import QAError
from .index import MODES, SCORING_KEY, Index
from .models.embedding import Embedder
from .rank.answers import DEFAULT_THRESHOLDS, calibrate
from .rank.scope import EVERYTHING, Scope
from .rank.spans import exact_match, f1
from .read.documents import sha256_file
from .store.layout import Generation
from .store.manifest import FORMAT, Abstention, HeldBack, Manifest, ModeCalibration
from .text import normalize

GOLD_METRICS = {"hit@1": "Success@1", "hit@3": "Success@3", "hit@5": "Success@5", "mrr@10": "RR@10",
                "ndcg@10": "nDCG@10"}
#: What a gold-set table shows: the metrics, the first short answer's exact match and F1 (SQuAD's normalisation,
#: over the answerable questions; an abstention scores 0), then how unanswerable questions fared.
GOLD_COLUMNS = [*GOLD_METRICS, "em", "f1", "abstain_caught", "abstain_wrong"]
BEIR_METRICS = {"ndcg@10": "nDCG@10", "map": "AP", "recall@100": "R@100", "mrr@10": "RR@10"}


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    doc_ids: tuple[str, ...]  # empty: any document
    scope: Scope = EVERYTHING  # what the question is asked within (qa.rank.scope): a gold line's "scope" object

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def _read_jsonl(path: Path) -> list[tuple[int, dict]]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise QAError(f"file not found: {path}") from None
    except UnicodeDecodeError:
        raise QAError(f"{path} is not UTF-8 text") from None
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise QAError(f"{path}:{n}: not valid JSON ({e.msg})") from None
        if not isinstance(obj, dict):
            raise QAError(f"{path}:{n}: expected a JSON object")
        out.append((n, obj))
    return out


def load_gold(path: Path, max_questions: int | None = None) -> list[GoldQuestion]:
    questions = []
    for n, obj in _read_jsonl(path):
        if max_questions is not None and len(questions) == max_questions:
            raise QAError(f"{Path(path).name} holds more than {max_questions} questions, the most this page "
                          f"evaluates; run `qa eval --gold FILE` for larger sets")
        def strings(key):
            value = obj.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise QAError(f"{path}:{n}: '{key}' must be a list of strings")
            return tuple(value)

        if not isinstance(obj.get("question"), str) or not obj["question"].strip():
            raise QAError(f"{path}:{n}: missing 'question'")
        try:
            scope = Scope.from_json(obj.get("scope"))
        except QAError as e:
            raise QAError(f"{path}:{n}: {e}") from None
        questions.append(GoldQuestion(str(obj.get("id", n)), obj["question"], strings("answers"), strings("doc_ids"),
                                      scope))
    if not questions:
        raise QAError(f"{path} holds no questions")
    return questions


def is_relevant(gold: GoldQuestion, doc_id: str, text: str) -> bool:
    """A passage is relevant when its document is allowed and it contains one of the answers (normalised)."""
    if not gold.answerable or (gold.doc_ids and doc_id not in gold.doc_ids):
        return False
    body = normalize(text)
    return any(normalize(a) in body for a in gold.answers)


# --- running a question set ----------------------------------------------------------------------------------


@dataclass
class ModeResult:
    mode: str
    metrics: dict[str, float]
    latencies_ms: list[float]
    per_question: list[dict] = field(default_factory=list)
    #: the metrics of each scope's questions, by the scope's description, when a gold set gives scopes
    per_scope: dict[str, dict[str, float]] = field(default_factory=dict)

    def summary(self) -> dict:
        lat = sorted(self.latencies_ms)
        out = {**{k: round(v, 4) for k, v in self.metrics.items()},
               "latency_p50_ms": round(statistics.median(lat), 2),
               "latency_p95_ms": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 2)}
        if self.per_scope:
            out["scopes"] = {scope: {k: round(v, 4) for k, v in m.items()} for scope, m in self.per_scope.items()}
        return out


def _measure(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]], names: dict[str, str]) -> dict:
    import ir_measures

    measures = {key: ir_measures.parse_measure(name) for key, name in names.items()}
    per_query = {key: {} for key in names}
    for m in ir_measures.iter_calc(list(measures.values()), qrels, run):
        for key, measure in measures.items():
            if m.measure == measure:
                per_query[key][m.query_id] = m.value
    # every judged query counts, also those that retrieved nothing (pytrec_eval leaves them out)
    return {key: sum(values.get(q, 0.0) for q in qrels) / max(1, len(qrels)) for key, values in per_query.items()}


def evaluate_gold(index: Index, gold: list[GoldQuestion], modes: list[str], k: int = 10,
                  progress=None) -> dict[str, ModeResult]:
    """Hit@1/3/5, MRR@10, nDCG@10, the short answer's exact match and F1, abstention and latency of each mode on a
    gold set (the latency is that of the whole answer, the short one included).

    ``progress(done, total)`` is called after each question."""
    passages = index.passages()
    pid_of = {(p.doc_id, p.start): p.id for p in passages}
    qrels = {}
    for g in gold:
        if g.answerable:
            # a scoped question is judged on the passages it may be answered from
            within = None if g.scope.everything else set(index.region(g.scope).ids.tolist())
            qrels[g.id] = {str(p.id): 1 for p in passages
                           if (within is None or p.id in within) and is_relevant(g, p.doc_id, p.text)}
    results = {}
    for mode in modes:
        run, latencies, rows = {}, [], []
        for g in gold:
            if progress:
                progress(len(run) + modes.index(mode) * len(gold), len(gold) * len(modes))
            started = time.perf_counter()
            answer = index.answer(g.question, k=k, mode=mode, scope=g.scope)
            latencies.append((time.perf_counter() - started) * 1000)
            run[g.id] = {str(pid_of[(h.doc_id, h.start)]): float(k - i) for i, h in enumerate(answer.hits)}
            first = next((h.rank for h in answer.hits if is_relevant(g, h.doc_id, h.text)), None)
            said = answer.short.text if answer.short else ""
            rows.append({"id": g.id, "question": g.question, "answerable": g.answerable,
                         "first_relevant_rank": first, "abstained": answer.abstained,
                         "abstain_reason": answer.abstain_reason, "answer": said,
                         "em": exact_match(said, g.answers) if g.answerable else None,
                         "f1": round(f1(said, g.answers), 4) if g.answerable else None,
                         "confidence": round(answer.confidence, 4),
                         "retrieved": [{"doc_id": h.doc_id, "start": h.start, "end": h.end, "text": h.text,
                                        "relevant": is_relevant(g, h.doc_id, h.text)} for h in answer.hits[:3]]})
        metrics = _measure(qrels, {q: run[q] for q in qrels}, GOLD_METRICS)
        answerable = [r for r in rows if r["answerable"]]
        unanswerable = [r for r in rows if not r["answerable"]]
        metrics["abstain_caught"] = sum(r["abstained"] for r in unanswerable) / max(1, len(unanswerable))
        metrics["abstain_wrong"] = sum(r["abstained"] for r in answerable) / max(1, len(answerable))
        metrics["em"] = sum(r["em"] for r in answerable) / max(1, len(answerable))
        metrics["f1"] = sum(r["f1"] for r in answerable) / max(1, len(answerable))
        results[mode] = ModeResult(mode, metrics, latencies, rows, _per_scope(gold, qrels, run))
    return results


def _per_scope(gold: list[GoldQuestion], qrels: dict, run: dict) -> dict[str, dict[str, float]]:
    """Each scope's metrics over its answerable questions (nothing when no question has a scope)."""
    scopes = dict.fromkeys(g.scope for g in gold)
    if list(scopes) == [EVERYTHING]:
        return {}
    out = {}
    for scope in scopes:
        ids = [g.id for g in gold if g.scope == scope and g.id in qrels]
        if ids:
            out[scope.describe()] = {**_measure({q: qrels[q] for q in ids}, {q: run[q] for q in ids}, GOLD_METRICS),
                                     "questions": len(ids)}
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson's score interval for a proportion k/n (95 % for z = 1.96): sound also at 0 of n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - half) / (1 + z * z / n)), min(1.0, (centre + half) / (1 + z * z / n))


def confidences(index: Index, questions: list[GoldQuestion], mode: str) -> list[float]:
    return [index.answer(g.question, k=5, mode=mode, spans=False, scope=g.scope).confidence for g in questions]


def calibration(index: Index, gold: list[GoldQuestion], source: str) -> Abstention:
    """Each mode's abstention threshold for this index (``qa.rank.answers.calibrate`` on the gold set's answerable
    questions), and a held-back check: calibrated on one half of the questions (alternate lines), scored on the
    other, both ways round."""
    answerable = [g.answerable for g in gold]
    modes = {}
    for mode in sorted(MODES):
        conf = confidences(index, gold, mode)

        def split(part: int | None) -> tuple[list[float], list[float]]:
            chosen = [(a, c) for i, (a, c) in enumerate(zip(answerable, conf)) if part is None or i % 2 == part]
            return [c for a, c in chosen if a], [c for a, c in chosen if not a]

        halves = []
        for part in (0, 1):
            t = calibrate(split(part)[0], DEFAULT_THRESHOLDS[mode])
            held_a, held_u = split(1 - part)
            halves.append(HeldBack(t, sum(c < t for c in held_u), len(held_u), sum(c < t for c in held_a),
                                   len(held_a)))
        ans, un = split(None)
        t = calibrate(ans, DEFAULT_THRESHOLDS[mode])
        modes[mode] = ModeCalibration(t, sum(c < t for c in un), sum(c < t for c in ans), tuple(halves))
    return Abstention(source, sum(answerable), len(gold) - sum(answerable), modes, scoring=SCORING_KEY)


def calibrate_generation(gen: Path, manifest: Manifest, settings: Settings, embedder: Embedder,
                         previous: Manifest | None) -> Manifest:
    """The build's finalize hook: calibrate the abstention threshold of the finished generation ``gen`` on its
    corpus's own gold.jsonl, where it has one. When the gold set, the documents and the settings are those of the
    previous generation, its calibration is reused as it is (an unchanged rebuild loads no model)."""
    gold_path = manifest.corpus_path / GOLD
    if not gold_path.is_file():
        return manifest
    key = hashlib.sha256(json.dumps([
        FORMAT, sha256_file(gold_path), manifest.model, manifest.backend,
        {"max_tokens": manifest.chunking.max_tokens, "overlap_tokens": manifest.chunking.overlap_tokens,
         "splitter": manifest.chunking.splitter},
        manifest.lexical, sorted((d, r.sha256) for d, r in manifest.documents.items()), SCORING_KEY,
    ]).encode()).hexdigest()
    if previous is not None and previous.abstention is not None and previous.abstention.key == key:
        return manifest.with_abstention(previous.abstention)
    gold = load_gold(gold_path)
    if not any(g.answerable for g in gold):
        return manifest
    found = calibration(Index(Generation.from_path(gen), settings, embedder), gold, GOLD)
    return manifest.with_abstention(replace(found, key=key))


# --- BEIR ----------------------------------------------------------------------------------------------------


def _safe_name(doc_id: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in doc_id)[:80]
    if keep != doc_id:
        keep += "-" + hashlib.sha256(doc_id.encode()).hexdigest()[:8]
    return keep + ".txt"


def load_beir(folder: Path) -> tuple[dict[str, dict], dict[str, str], dict[str, dict[str, int]]]:
    folder = Path(folder)
    if not folder.is_dir():
        raise QAError(f"BEIR folder not found: {folder}")
    corpus = {}
    for n, obj in _read_jsonl(folder / "corpus.jsonl"):
        if "_id" not in obj or not isinstance(obj.get("text", ""), str):
            raise QAError(f"{folder / 'corpus.jsonl'}:{n}: needs '_id' and 'text'")
        corpus[str(obj["_id"])] = {"title": str(obj.get("title") or ""), "text": obj.get("text") or ""}
    queries = {}
    for n, obj in _read_jsonl(folder / "queries.jsonl"):
        if "_id" not in obj or not isinstance(obj.get("text"), str):
            raise QAError(f"{folder / 'queries.jsonl'}:{n}: needs '_id' and 'text'")
        queries[str(obj["_id"])] = obj["text"]
    qrels: dict[str, dict[str, int]] = {}
    path = folder / "qrels" / "test.tsv"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise QAError(f"file not found: {path}") from None
    for n, line in enumerate(lines, 1):
        parts = line.split("\t")
        if n == 1 and parts[0].strip().lower() in ("query-id", "query_id", "qid"):
            continue
        if not line.strip():
            continue
        if len(parts) < 3:
            raise QAError(f"{path}:{n}: expected query-id, corpus-id and score separated by tabs")
        try:
            score = int(parts[2])
        except ValueError:
            raise QAError(f"{path}:{n}: score {parts[2]!r} is not a whole number") from None
        qrels.setdefault(parts[0].strip(), {})[parts[1].strip()] = score
    return corpus, queries, qrels


def materialise_beir(corpus: dict[str, dict], folder: Path) -> dict[str, str]:
    """Write the BEIR corpus as one text file per document (title on the first line), so that it is indexed like
    any other folder; returns file name -> BEIR id. Unchanged files are left alone, so the index stays fresh."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for doc_id, doc in corpus.items():
        name = _safe_name(doc_id)
        names[name] = doc_id
        content = (doc["title"].strip() + "\n" + doc["text"].strip()).strip() + "\n"
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(content, encoding="utf-8")
            tmp.replace(path)
    for stale in folder.glob("*.txt"):
        if stale.name not in names:
            stale.unlink()
    return names


def evaluate_beir(index: Index, queries: dict[str, str], qrels: dict[str, dict[str, int]], names: dict[str, str],
                  modes: list[str], depth: int = 1000) -> dict[str, ModeResult]:
    """nDCG@10, MAP, Recall@100 and MRR@10 of each mode; a document scores as its best passage."""
    doc_of = {p.id: names.get(p.doc_id, p.doc_id) for p in index.passages()}
    judged = {q: t for q, t in queries.items() if q in qrels}
    results = {}
    for mode in modes:
        run, latencies = {}, []
        for qid, text in judged.items():
            started = time.perf_counter()
            ranked = index.rank(text, mode, depth)
            latencies.append((time.perf_counter() - started) * 1000)
            scores: dict[str, float] = {}
            for rank, (pid, _) in enumerate(ranked):
                scores.setdefault(doc_of[pid], float(depth - rank))  # best passage first
            run[qid] = scores
        results[mode] = ModeResult(mode, _measure(qrels, run, BEIR_METRICS), latencies)
    return results


def text_table(header: list[str], rows: list[list]) -> str:
    """Columns padded to their widest cell, the first one to the left, the others to the right."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]

    def line(cells) -> str:
        return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def format_scopes(results: dict[str, ModeResult]) -> str:
    """The per-scope table of a gold set that gives scopes: a row per mode and scope ('' when there are none)."""
    rows = [[mode, scope, m["questions"], *(f"{m[k]:.3f}" for k in GOLD_METRICS)]
            for mode, r in results.items() for scope, m in r.per_scope.items()]
    return text_table(["mode", "scope", "questions", *GOLD_METRICS], rows) if rows else ""


def format_table(results: dict[str, ModeResult], keys: list[str]) -> str:
    rows = []
    for mode, r in results.items():
        s = r.summary()
        rows.append([mode, *(f"{s[k]:.3f}" for k in keys), f"{s['latency_p50_ms']:.1f}", f"{s['latency_p95_ms']:.1f}"])
    return text_table(["mode", *keys, "p50 ms", "p95 ms"], rows)

