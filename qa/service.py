"""What the command line and the web page stand on: building an index the way users get it (abstention calibrated
on the corpus's gold set), building a missing one on demand, and ``LiveIndex``, the index a server answers from
while a rebuild runs beside it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .config import Settings, resolve_paths
from .errors import QAError, StaleIndexError
from .evaluate import calibrate_generation
from .index import Index
from .models.embedding import Embedder
from .read.documents import Skipped, check_folder, list_files
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


#: How long a listing of the folder (changes_now) serves the pages that poll it, in seconds.
CHANGES_MAX_AGE = 1.0


@dataclass(frozen=True)
class Following:
    """A live index against its folder: the generation served, its counts, and its state: fresh, behind (the folder
    changed), updating (a build is running: ``work`` = (phase, done, total)) or gone (the folder is missing)."""

    generation: str
    documents: int
    passages: int
    state: str
    changed: str = ""  # what changed, described (a few names)
    n_changed: int = 0
    work: tuple[str, int, int] | None = None
    error: str | None = None  # the last update's failure, until one succeeds


class LiveIndex:
    """The index a server answers from. A rebuild runs beside it; questions keep using the loaded generation
    until the new one is complete, then it is swapped in atomically. ``refresh`` loads the generation CURRENT
    names when another process (a build, another replica's rebuild) has switched it."""

    def __init__(self, index: Index, corpus: Path, index_dir: Path, settings: Settings):
        self._index = index
        self.corpus, self.index_dir, self.settings = Path(corpus), Path(index_dir), settings
        self._rebuild_lock = threading.Lock()
        self._swap_lock = threading.Lock()
        self._seen_lock = threading.Lock()
        self._seen: tuple[float, str, Changes | None] | None = None  # (when, generation, changes) of changes_now
        self._work: tuple[str, int, int] | None = None  # (phase, done, total) of the update running
        self.last_error: str | None = None

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

    def unread(self) -> list[Skipped]:
        """The files of the corpus folder no build reads for their type, each with its reason ("unsupported type
        .xlsx"; past ``NAMED_UNREAD`` names, the rest by type): the Index tab names them as ``qa index`` does."""
        found: list[Skipped] = []
        if self.corpus.is_dir():
            list_files(self.corpus, found)
        return found

    def changes_now(self, max_age: float = CHANGES_MAX_AGE) -> Changes | None:
        """``changes()``, computed at most once per ``max_age`` seconds however many pages ask (a page polls it)."""
        with self._seen_lock:
            now, generation = time.monotonic(), self.current.generation.path.name
            if self._seen is None or now - self._seen[0] > max_age or self._seen[1] != generation:
                self._seen = (now, generation, self.changes())
            return self._seen[2]

    def rebuild(self, progress: Progress | None = None) -> BuildReport:
        if not self._rebuild_lock.acquire(blocking=False):
            raise QAError("a rebuild is already running")
        try:
            return self._build(progress)
        finally:
            self._rebuild_lock.release()

    def update(self, progress: Progress | None = None) -> BuildReport | None:
        """Bring the index up to the folder: waits for a rebuild already running, then builds (incrementally) only
        when the folder still differs from the live generation; None when there was nothing to do."""
        with self._rebuild_lock:
            self.refresh()
            changes = self.changes()
            if not changes:
                return None
            return self._build(progress)

    def _build(self, progress: Progress | None) -> BuildReport:
        def report(phase: str, done: int, total: int) -> None:
            self._work = (phase, done, total)
            if progress:
                progress(phase, done, total)

        self._work = ("starting", 0, 0)
        try:
            built = build_index(self.corpus, self.index_dir, self.settings, embedder=self._index.embedder,
                                progress=report)
            self.last_error = None
        except QAError as e:
            self.last_error = str(e)
            raise
        finally:
            self._work = None
        self.refresh()
        return built

    def following(self) -> Following:
        """Where the live index stands against its folder, for a page that polls it (cheap: see changes_now)."""
        m = self.current.manifest
        changes = self.changes_now()
        work = self._work
        state = "updating" if work else "gone" if changes is None else "behind" if changes else "fresh"
        return Following(self.current.generation.path.name, m.counts.documents, m.counts.passages, state,
                         changes.describe() if changes else "", len(changes) if changes else 0, work,
                         self.last_error)

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


class FolderWatcher:
    """``qa serve --watch``: follows the corpus folder. File events (watchfiles: inotify, FSEvents, ...) are gathered
    for ``debounce`` ms after the first, then the index is updated incrementally in this thread while questions are
    answered from the live generation; the new one is switched in when complete (``LiveIndex.update``, the same
    build, lock and switch as a rebuild). Events that arrive during a build start the next one."""

    def __init__(self, live: LiveIndex, debounce: int = 1600, step: int = 200):
        self.live, self.debounce, self.step = live, debounce, step
        self._stop = threading.Event()
        self.errors: list[str] = []
        self.updates = 0
        self._thread = threading.Thread(target=self._run, name="qa-folder-watcher", daemon=True)
        self._thread.start()

    def _relevant(self, _change, path: str) -> bool:
        """Hidden files (a page's upload before its rename, editors' swap files) and the index itself are not the
        corpus."""
        p = Path(path)
        try:
            rel = p.relative_to(self.live.corpus)
        except ValueError:
            return False
        index_dir = self.live.index_dir.resolve()
        return not any(part.startswith(".") for part in rel.parts) and index_dir not in (p.resolve(), *p.resolve().parents)

    def _update(self) -> None:
        try:
            if self.live.update() is not None:
                self.updates += 1
        except QAError as e:  # an unreadable folder, a failed build: keep answering from the live generation
            self.errors.append(str(e))

    def _run(self) -> None:
        import watchfiles  # uvicorn's own file watcher

        self._update()  # what changed between opening the index and now
        watching = False
        for changes in watchfiles.watch(self.live.corpus, watch_filter=self._relevant, debounce=self.debounce,
                                        step=self.step, stop_event=self._stop, raise_interrupt=False,
                                        rust_timeout=1000, yield_on_timeout=True):
            # the first pass through here is once the folder is watched: what changed between the check above and
            # then raised no event (a file added while the watcher started was missed on a loaded machine)
            if changes or not watching:
                self._update()
            watching = True

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
