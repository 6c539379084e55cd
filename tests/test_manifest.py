"""The manifest: what it records, its JSON round trip, and staleness (settings mismatch, corpus changes)."""

import hashlib
import json
from dataclasses import replace

import pytest
from helpers import SEEDS, write

from qa import Index, build_index
from qa.errors import QAError, StaleIndexError
from qa.rank.vectors import VectorQuality
from qa.store.layout import current_generation
from qa.store.manifest import MANIFEST, Chunking, Manifest


def test_manifest_records_model_settings_and_every_document_hash(fake_seeds_index, fake_settings, fake):
    manifest = Manifest.read(current_generation(fake_seeds_index))
    assert manifest.model == fake_settings.model
    assert manifest.dimension == fake.dimension and manifest.index_type == "IDMap2,Flat"
    assert manifest.vectors == VectorQuality("flat", 1.0, 0, bytes_per_vector=4 * fake.dimension + 8)
    assert manifest.chunking == Chunking.of(fake_settings)
    assert manifest.backend == fake_settings.backend == fake.backend
    assert sorted(manifest.documents) == sorted(p.name for p in SEEDS.glob("*.txt"))
    for doc_id, entry in manifest.documents.items():
        assert entry.sha256 == hashlib.sha256((SEEDS / doc_id).read_bytes()).hexdigest()


def test_json_round_trip_is_exact(fake_seeds_index):
    path = current_generation(fake_seeds_index) / MANIFEST
    on_disk = json.loads(path.read_text())
    manifest = Manifest.from_dict(on_disk)
    assert manifest.to_dict() == on_disk
    assert Manifest.from_dict(json.loads(manifest.to_json())) == manifest


@pytest.mark.parametrize("damage, message", [
    (lambda d: {**d, "format": 3}, r"written by another version of qa \(format 3, expected 7\); run `qa index`"),
    (lambda d: {k: v for k, v in d.items() if k != "counts"}, "is damaged"),
    (lambda d: "not json", "is damaged"),
])
def test_a_manifest_of_another_version_or_damaged_is_a_clear_error(fake_seeds_index, tmp_path, damage, message):
    gen = tmp_path / "gen"
    gen.mkdir()
    data = json.loads((current_generation(fake_seeds_index) / MANIFEST).read_text())
    damaged = damage(data)
    (gen / MANIFEST).write_text(damaged if isinstance(damaged, str) else json.dumps(damaged))
    with pytest.raises(QAError, match=message):
        Manifest.read(gen)


def open_index(index_dir, settings, embedder):
    return Index.open(index_dir, settings=settings, embedder=embedder)


def test_editing_a_file_makes_the_index_stale(seeds_copy, tmp_path, fake_settings, fake):
    build_index(seeds_copy, tmp_path / "ix", fake_settings, embedder=fake)
    open_index(tmp_path / "ix", fake_settings, fake)  # fresh: opens
    with open(seeds_copy / "004_fa2311fb06af83e6.txt", "a", encoding="utf-8") as f:
        f.write("\nA new closing paragraph.\n")
    (seeds_copy / "000_55b591c08ae884b4.txt").unlink()
    with pytest.raises(StaleIndexError, match=r"index is stale: 2 documents changed .*run `qa index"):
        open_index(tmp_path / "ix", fake_settings, fake)


def test_touching_without_changing_content_is_not_stale(seeds_copy, tmp_path, fake_settings, fake):
    build_index(seeds_copy, tmp_path / "ix", fake_settings, embedder=fake)
    path = seeds_copy / "001_d5cf18c687c34961.txt"
    path.write_bytes(path.read_bytes())  # new modification time, same bytes
    open_index(tmp_path / "ix", fake_settings, fake)


@pytest.mark.parametrize(
    "change, message",
    [({"model": "another/model"}, "built with model"), ({"max_tokens": 128}, "chunking"),
     ({"overlap_tokens": 0}, "chunking"), ({"max_file_mb": 1.0}, "reading")],
)
def test_another_model_or_settings_is_stale(fake_seeds_index, fake_settings, fake, change, message):
    with pytest.raises(StaleIndexError, match=message):
        Index.open(fake_seeds_index, settings=replace(fake_settings, **change), embedder=fake)


def test_another_exact_limit_is_not_stale(fake_seeds_index, fake_settings, fake):
    # the limit decides only which kind of vector index the next build makes
    Index.open(fake_seeds_index, settings=replace(fake_settings, exact_limit=10), embedder=fake)


def test_a_gone_corpus_folder_is_stale(tmp_path, fake_settings, fake):
    write(tmp_path / "c", "a.txt", "A page about rivers.\n")
    build_index(tmp_path / "c", tmp_path / "ix", fake_settings, embedder=fake)
    (tmp_path / "c" / "a.txt").unlink()
    (tmp_path / "c").rmdir()
    with pytest.raises(StaleIndexError, match="its corpus folder .* is gone"):
        open_index(tmp_path / "ix", fake_settings, fake)
    Index.open(tmp_path / "ix", settings=fake_settings, embedder=fake, check=False)  # unchecked, it still answers
