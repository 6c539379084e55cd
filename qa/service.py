"""What the command line and the web page stand on: building an index the way users get it (abstention calibrated
on the corpus's gold set), building a missing one on demand, and ``LiveIndex``, the index a server answers from
while a rebuild runs beside it."""

from __future__ import annotations

import threading
from pathlib import Path

from .config import Settings, resolve_paths
from .errors import QAError, StaleIndexError
from .evaluate import calibrate_generation
from .index import Index
from .models.embedding import Embedder
from .read.documents import check_folder, list_files
from .store import build
from .store.build import BuildReport, Progress
from .store.cluster import ray_source
from .store.layout import Generation, current_generation
from .store.manifest import Changes, Manifest, OtherFormatError, check_fresh, corpus_changes


def build_index(
    corpus: Path | str,
    index_dir: Path | str,
    settings: Settings,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    ray: str | None = None,
) -> BuildReport:
    """Index every document of ``corpus`` into a new generation of ``index_dir`` and make it live; where the corpus
    has a gold.jsonl, the abstention thresholds are calibrated on it first. With ``ray`` (an address: local, auto,
    ray://host:port) the files are read and embedded on that Ray cluster (``qa.store.cluster``)."""
    source = ray_source(ray, settings) if ray else None
    return build.write_generation(Path(corpus), Path(index_dir), settings, embedder, progress,
                             finalize=calibrate_generation, source=source)


def ensure_index(corpus: Path | None = None, index_dir: Path | None = None, settings: Settings | None = None, *,
                 rebuild_stale: bool = False, progress: Progress | None = None) -> BuildReport | None:
    """Build the index of ``corpus`` when it is missing (or stale, with ``rebuild_stale``); returns what was built."""
    corpus, index_dir = resolve_paths(corpus, index_dir)
    settings = settings or Settings.from_env()
    gen = current_generation(index_dir)
    if gen is not None:
        if not rebuild_stale:
            return None
        try:
            check_fresh(index_dir, Manifest.read(gen), settings, settings.backend)
            return None
        except (StaleIndexError, OtherFormatError):
            pass
    check_folder(corpus)
    return build_index(corpus, index_dir, settings, progress=progress)


def open_index(
    corpus: Path | None = None,
    index_dir: Path | None = None,
    settings: Settings | None = None,
    *,
    rebuild_stale: bool = False,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> tuple[Index, BuildReport | None]:
    """The index of ``corpus``, loaded, and what was built first: it is built when it is missing (or stale, with
    ``rebuild_stale``; else a stale index raises ``StaleIndexError``). CURRENT is read, and the index's freshness
    checked, once."""
    corpus, index_dir = resolve_paths(corpus, index_dir)
    settings = settings or Settings.from_env()
    gen = current_generation(index_dir)
    if gen is not None:
        try:
            generation = Generation.from_path(gen)
            check_fresh(index_dir, generation.manifest, settings, embedder.backend if embedder else settings.backend)
            return Index(generation, settings, embedder), None
        except (StaleIndexError, OtherFormatError):
            if not rebuild_stale:
                raise
    check_folder(corpus)
    report = build_index(corpus, index_dir, settings, embedder, progress=progress)
    return Index(Generation.from_path(index_dir / report.generation), settings, embedder), report


class LiveIndex:
    """The index a server answers from. A rebuild runs beside it; questions keep using the loaded generation
    until the new one is complete, then it is swapped in atomically. ``refresh`` loads the generation CURRENT
    names when another process (a build, another replica's rebuild) has switched it."""

    def __init__(self, index: Index, corpus: Path, index_dir: Path, settings: Settings):
        self._index = index
        self.corpus, self.index_dir, self.settings = Path(corpus), Path(index_dir), settings
        self._rebuild_lock = threading.Lock()
        self._swap_lock = threading.Lock()

    @classmethod
    def of(cls, index: Index) -> LiveIndex:
        """Serve a loaded index as it is: its own corpus, directory and settings."""
        return cls(index, index.corpus, index.index_dir, index.settings)

    @property
    def current(self) -> Index:
        return self._index

    def changes(self) -> Changes | None:
        """What changed on disk since the live index was built; None when the corpus folder is gone."""
        if not self.corpus.is_dir():
            return None
        return corpus_changes(self.current.manifest, list_files(self.corpus))

    def rebuild(self, progress: Progress | None = None) -> BuildReport:
        if not self._rebuild_lock.acquire(blocking=False):
            raise QAError("a rebuild is already running")
        try:
            report = build_index(self.corpus, self.index_dir, self.settings, embedder=self._index.embedder,
                                 progress=progress)
            self.refresh()
            return report
        finally:
            self._rebuild_lock.release()

    def refresh(self) -> bool:
        """Switch to the generation CURRENT names, if it is not the one loaded; True when it switched. The old
        generation stays on disk (builds keep the one before the live one), so questions it is answering finish."""
        with self._swap_lock:
            gen = current_generation(self.index_dir)
            old = self._index
            if gen is None or gen == old.generation.path:
                return False
            self._index = Index(Generation.from_path(gen), self.settings, old.embedder, old.fuser)
            return True


class Watcher:
    """Keeps a LiveIndex on the generation CURRENT names: replicas of `qa serve` on one index directory each switch
    within ``every`` seconds of a build anywhere (a thread; reading one small file a second costs nothing)."""

    def __init__(self, live: LiveIndex, every: float = 1.0):
        self.live, self.every = live, every
        self._stop = threading.Event()
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._run, name="qa-watcher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.live.refresh()
            except QAError as e:  # a damaged or foreign generation: keep answering from the loaded one
                self.errors.append(str(e))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
