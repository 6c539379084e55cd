"""qa.service, what the CLI and the page stand on: opening an index (built when missing, refused or rebuilt when
stale), and LiveIndex, the index a server answers from while builds switch generations beside it."""

import shutil
import time

import pytest
from helpers import SEEDS, write

from qa.errors import QAError, StaleIndexError
from qa.service import FolderWatcher, LiveIndex, Watcher, build_index, ensure_index, open_index
from qa.store.layout import current_generation


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS, folder)
    return folder


def test_a_missing_index_is_built_once_then_opened(corpus, tmp_path, fake_settings, fake):
    index, report = open_index(corpus, tmp_path / "i", fake_settings, embedder=fake)
    assert report is not None and report.documents == 5 and index.size == report.passages
    again, second = open_index(corpus, tmp_path / "i", fake_settings, embedder=fake)
    assert second is None and again.generation.path == index.generation.path
    assert ensure_index(corpus, tmp_path / "i", fake_settings) is None


def test_a_stale_index_is_refused_or_rebuilt_when_asked(corpus, tmp_path, fake_settings, fake):
    open_index(corpus, tmp_path / "i", fake_settings, embedder=fake)
    write(corpus, "new.txt", "A new article about rice exports from the Mekong delta.\n")
    with pytest.raises(StaleIndexError, match="new.txt"):
        open_index(corpus, tmp_path / "i", fake_settings, embedder=fake)
    index, report = open_index(corpus, tmp_path / "i", fake_settings, rebuild_stale=True, embedder=fake)
    assert report.incremental and report.read == 1 and "new.txt" in {d.doc_id for d in index.documents()}


@pytest.mark.parametrize("make, message", [(lambda p: None, "corpus folder not found"),
                                           (lambda p: p.write_text("x"), "is a file, not a folder")])
def test_a_corpus_that_is_not_a_folder_is_named_for_what_it_is(tmp_path, fake_settings, fake, make, message):
    make(tmp_path / "notes.html")
    with pytest.raises(QAError, match=message):
        open_index(tmp_path / "notes.html", tmp_path / "i", fake_settings, embedder=fake)


def test_a_live_index_switches_to_a_build_made_elsewhere(corpus, tmp_path, fake_settings, fake):
    index, _ = open_index(corpus, tmp_path / "i", fake_settings, embedder=fake)
    live = LiveIndex.of(index)
    assert not live.changes() and live.refresh() is False
    write(corpus, "new.txt", "A new article about rice exports from the Mekong delta.\n")
    assert [a for a in live.changes().added] == ["new.txt"]
    build_index(corpus, tmp_path / "i", fake_settings, embedder=fake)
    watcher = Watcher(live, every=0.05)
    try:
        for _ in range(100):
            if live.current.generation.path == current_generation(tmp_path / "i"):
                break
            watcher._stop.wait(0.05)
    finally:
        watcher.stop()
    assert live.current.generation.path == current_generation(tmp_path / "i") and not live.changes()


def test_one_rebuild_at_a_time(corpus, tmp_path, fake_settings, fake):
    index, _ = open_index(corpus, tmp_path / "i", fake_settings, embedder=fake)
    live = LiveIndex.of(index)
    live._rebuild_lock.acquire()
    try:
        with pytest.raises(QAError, match="already running"):
            live.rebuild()
    finally:
        live._rebuild_lock.release()
    assert live.rebuild().documents == 5


def _until(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_a_watched_folder_is_followed_through_adds_renames_and_deletes(corpus, tmp_path, fake_settings, fake):
    index, _ = open_index(corpus, tmp_path / "i", fake_settings, embedder=fake)
    live = LiveIndex.of(index)
    assert live.following().state == "fresh"
    watcher = FolderWatcher(live, debounce=300, step=50)

    def docs():
        return {d.doc_id for d in live.current.documents()}

    try:
        before = live.current.generation.path
        write(corpus, "new.txt", "Mekong rice\nA new article about rice exports from the Mekong delta.\n")
        assert _until(lambda: "new.txt" in docs()), watcher.errors
        assert live.current.generation.path != before and live.following().state == "fresh"
        assert live.following().documents == 6
        (corpus / "new.txt").rename(corpus / "renamed.txt")
        assert _until(lambda: "renamed.txt" in docs() and "new.txt" not in docs()), watcher.errors
        (corpus / "renamed.txt").unlink()
        assert _until(lambda: docs() == {d.doc_id for d in index.documents()}), watcher.errors
        hits = live.current.answer("rice exports from the Mekong delta", k=5).hits
        assert all(h.doc_id not in ("new.txt", "renamed.txt") for h in hits)
        write(corpus, ".hidden.txt", "ignored")  # not part of the corpus: no build
        time.sleep(1.0)
        assert watcher.errors == [] and watcher.updates == 3
    finally:
        watcher.stop()
    assert not watcher._thread.is_alive()


def test_a_file_added_while_the_watcher_starts_is_not_missed(corpus, tmp_path, fake_settings, fake):
    """A file written after the watcher's first look but before the folder is watched raises no event: it is still
    read, by the look taken once the folder is watched."""
    index, _ = open_index(corpus, tmp_path / "i", fake_settings, embedder=fake)
    live = LiveIndex.of(index)

    class Late(FolderWatcher):
        looks = 0

        def _update(self):
            super()._update()
            Late.looks += 1
            if Late.looks == 1:  # just after the first look, before watchfiles watches
                write(corpus, "late.txt", "Late news\nA late article about the Mekong delta.\n")

    watcher = Late(live, debounce=300, step=50)
    try:
        assert _until(lambda: "late.txt" in {d.doc_id for d in live.current.documents()}), watcher.errors
        assert watcher.errors == [] and watcher.updates == 1
    finally:
        watcher.stop()


def test_following_says_behind_then_fresh_and_update_builds_only_what_changed(corpus, tmp_path, fake_settings, fake):
    index, _ = open_index(corpus, tmp_path / "i", fake_settings, embedder=fake)
    live = LiveIndex.of(index)
    assert live.update() is None  # nothing changed: no build
    write(corpus, "new.txt", "Mekong rice\nA new article about rice exports from the Mekong delta.\n")
    seen = live.following()
    assert seen.state == "behind" and seen.n_changed == 1 and "new.txt added" in seen.changed
    phases = []
    report = live.update(lambda phase, done, total: phases.append(phase))
    assert report.incremental and report.read == 1 and phases
    after = live.following()
    assert after.state == "fresh" and after.documents == seen.documents + 1 and after.generation != seen.generation
