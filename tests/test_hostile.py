"""A messy folder: `qa index` finishes, names every skipped file and why, and indexes the rest; and a hostile one:
links out of the folder, FIFOs, devices and huge sparse files are never read."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import bombs
import pytest
from bombs import BOMBS, run_measured
from helpers import FAKE_QA, XSS, write

from qa.read.documents import iter_documents, list_files


def hostile_article(n: int) -> str:
    lines = [f"Trade report number {n}", f"Exports of rice and coffee rose in quarter {n}."]
    lines += [f"Analysts quoted the string {p} in note {i}." for i, p in enumerate(XSS[n::4])]
    return "\n".join(lines) + "\n"


def make_messy_folder(folder: Path) -> dict[str, str]:
    """Writes the folder; returns each bad file with a word its reason must contain."""
    for n in range(4):
        write(folder, f"articles/article{n}.txt", hostile_article(n))
    write(folder, "utf16.txt", "UTF-16 page\nA document saved as UTF-16 about pepper exports.\n".encode("utf-16"))
    bad = {
        "invalid.txt": "not UTF-8",
        "binary.txt": "binary",
        "big.txt": "too large",
        "empty.txt": "empty",
        "loop-a.txt": "cannot be read",
        "loop-b.txt": "cannot be read",
    }
    write(folder, "invalid.txt", b"caf\xe9 cr\xe8me, not UTF-8 \xff\xfe at the end")
    write(folder, "binary.txt", bytes(range(256)) * 64)
    with open(folder / "big.txt", "w", encoding="utf-8") as f:  # 50 MB of text
        line = "A long log line that repeats itself over and over again for a very long time.\n"
        f.write(line * (50 * 2**20 // len(line) + 1))
    write(folder, "empty.txt", b"")
    os.symlink("loop-b.txt", folder / "loop-a.txt")
    os.symlink("loop-a.txt", folder / "loop-b.txt")
    os.symlink(".", folder / "articles" / "self")  # a folder loop: never followed
    write(folder, "locked.txt", "Locked page\nA document nobody may read.\n")
    os.chmod(folder / "locked.txt", 0)
    if os.geteuid() != 0:  # root reads it anyway: permission bits do not bind root
        bad["locked.txt"] = "cannot be read"
    return bad


def test_messy_folder_is_indexed_and_every_bad_file_is_named(tmp_path):
    folder = tmp_path / "messy"
    bad = make_messy_folder(folder)
    result = subprocess.run([*FAKE_QA, "index", folder, "--index-dir", tmp_path / "ix", "-q"], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for name, reason in bad.items():
        line = next((l for l in result.stderr.splitlines() if f"skipped {name}:" in l), None)
        assert line and reason in line, (name, result.stderr)
    good = 4 + 1 + (0 if "locked.txt" in bad else 1)
    assert f"indexed {good} documents" in result.stdout
    assert len([l for l in result.stderr.splitlines() if "skipped" in l]) == len(bad)


def test_a_file_that_vanishes_between_listing_and_reading_is_skipped(tmp_path):
    write(tmp_path, "stays.txt", "Stays here.\n")
    write(tmp_path, "goes.txt", "Goes away.\n")
    files = list_files(tmp_path)
    (tmp_path / "goes.txt").unlink()
    items = {i.doc_id: i for i in iter_documents(tmp_path, files)}
    assert items["stays.txt"].title == "Stays here."
    assert "cannot be read" in items["goes.txt"].reason and "No such file" in items["goes.txt"].reason


# --- what a folder may hold that is not a document ---------------------------------------------------------------


def make_trapped_folder(folder: Path) -> dict[str, str]:
    """A folder with links out of it, a FIFO, a device link, a link to a FIFO inside it, links inside it and a huge
    sparse file; returns each entry that must be skipped with a word its reason must contain."""
    write(folder, "article.txt", "Coffee exports\nThe Central Highlands grew most of the country's coffee.\n")
    write(folder, ".hidden/kept.txt", "Pepper exports\nPepper farmers in Binh Phuoc sold their crop early.\n")
    os.symlink("/etc/passwd", folder / "passwd.txt")
    os.symlink("/dev/zero", folder / "zero.txt")
    os.symlink("../outside.txt", folder / "escape.md")
    os.mkfifo(folder / "pipe.txt")
    os.symlink("pipe.txt", folder / "pipe-link.txt")
    os.symlink("article.txt", folder / "alias.txt")  # the same file under a second name
    os.symlink(".hidden/kept.txt", folder / "pepper.txt")  # a file inside the folder, listed only through the link
    with open(folder / "sparse.txt", "wb") as f:  # 3 GB that take no disk space
        f.truncate(3 * 2**30)
    return {"passwd.txt": "outside the corpus folder", "zero.txt": "outside the corpus folder",
            "escape.md": "outside the corpus folder", "pipe.txt": "a FIFO", "pipe-link.txt": "a FIFO",
            "alias.txt": "the same file as article.txt", "sparse.txt": "too large"}


def test_links_out_fifos_devices_and_huge_files_are_skipped_and_nothing_leaks(tmp_path):
    write(tmp_path, "outside.txt", "Secret outside\nThe launch code is 0000.\n")
    folder = tmp_path / "trapped"
    bad = make_trapped_folder(folder)
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True, "
            "timeout=300); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "print(r.returncode); sys.stderr.write(r.stdout + r.stderr)")
    result = subprocess.run([sys.executable, "-c", code, *FAKE_QA, "index", folder, "--index-dir", tmp_path / "ix",
                             "-q"], capture_output=True, text=True, timeout=320)
    peak_kib, returncode = map(int, result.stdout.split())
    assert returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert peak_kib < 500 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"  # the 3 GB file was never read
    for name, reason in bad.items():
        line = next((l for l in result.stderr.splitlines() if f"skipped {name}:" in l), None)
        assert line and reason in line, (name, result.stderr)
    assert "indexed 2 documents" in result.stderr  # article.txt and pepper.txt (a link that stays inside)

    from helpers import HashEmbedder

    from qa import Index, Settings

    index = Index.open(tmp_path / "ix", settings=Settings(backend=HashEmbedder.backend), embedder=HashEmbedder())
    assert {d.doc_id for d in index.documents()} == {"article.txt", "pepper.txt"}
    everything = " ".join(d.text for d in index.documents())
    assert "root:" not in everything and "launch code" not in everything
    for question in ("root x 0 0 root bin bash", "What is the launch code?"):
        for hit in index.search(question, k=10, mode="lexical") + index.search(question, k=10, mode="dense"):
            assert "root:" not in hit.text and "launch code" not in hit.text


def test_checking_for_changes_never_reads_what_a_build_skips(tmp_path):
    """The page's status refresh and every `qa ask` compare the folder with the manifest: a touched 3 GB file and a
    FIFO must not be read (before, the file was hashed whole, 3.2 GB resident)."""
    folder = tmp_path / "c"
    bad = make_trapped_folder(folder)
    assert subprocess.run([*FAKE_QA, "index", folder, "--index-dir", tmp_path / "ix", "-q"], capture_output=True,
                          timeout=300).returncode == 0
    os.utime(folder / "sparse.txt")
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True, "
            "timeout=120); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "sys.stderr.write(r.stderr)")
    result = subprocess.run([sys.executable, "-c", code, *FAKE_QA, "ask", "coffee", "--corpus", folder,
                             "--index-dir", tmp_path / "ix"], capture_output=True, text=True, timeout=150)
    assert int(result.stdout) < 500 * 1024
    assert "index is stale: 1 document changed (sparse.txt modified)" in result.stderr
    assert "sparse.txt" in bad


def test_a_file_swapped_for_a_link_after_listing_is_not_followed(tmp_path):
    write(tmp_path, "secret.txt", "Secret\nThe vault opens at noon.\n")
    write(tmp_path / "c", "doc.txt", "A plain page.\n")
    files = list_files(tmp_path / "c")
    (tmp_path / "c" / "doc.txt").unlink()
    os.symlink(tmp_path / "secret.txt", tmp_path / "c" / "doc.txt")
    (item,) = iter_documents(tmp_path / "c", files)
    assert "cannot be read" in item.reason


# --- issue 20: bombs under the size cap, names that are not UTF-8, folders swapped mid-build ----------------------

#: What the acceptance of issue 20 allows one `qa index` of a folder holding one bomb: the whole process tree's
#: peak resident memory (the reading worker included) and its time.
PEAK_BYTES = int(1.5 * 2**30)
SECONDS = 120


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_bomb_under_the_size_cap_is_skipped_or_read_within_budget_and_the_build_goes_on(tmp_path, name):
    """Finding 2, each file as found: before, the build took > 6 GB (drawing), 3.3 GB and > 240 s (text stream),
    > 200 s (Word text), 1.96 GB (Word comment), 341 s (HTML menu), 171 s and a wrong reason (60,000 pages)."""
    file_name, make = BOMBS[name]
    folder = tmp_path / "c"
    write(folder, "ok.txt", "Rice exports\nRice exports from the Mekong delta grew by a tenth this year.\n")
    write(folder, file_name, make())
    status, output, seconds, peak = run_measured(
        [*FAKE_QA, "index", folder, "--index-dir", tmp_path / "ix", "-q"], timeout=2 * SECONDS)
    assert status == 0 and "Traceback" not in output, output
    assert seconds < SECONDS, f"{seconds:.0f} s"
    assert peak < PEAK_BYTES, f"peak RSS of the process tree {peak / 2**20:.0f} MiB"
    skipped = [line for line in output.splitlines() if f"skipped {file_name}:" in line]
    if name == "nav-html":  # linear now: read, its menu left out
        assert not skipped and "indexed 2 documents" in output, output
        from helpers import HashEmbedder

        from qa import Index, Settings

        index = Index.open(tmp_path / "ix", settings=Settings(backend=HashEmbedder.backend),
                           embedder=HashEmbedder())
        text = {d.doc_id: d.text for d in index.documents()}[file_name]
        assert text == "Article text before the menu.\n\nArticle text after the menu.\n"
    else:
        assert len(skipped) == 1 and "over the reading budget" in skipped[0], output
        assert "indexed 1 document " in output, output
    expected = {"many-pages": "60,000 pages, more than 5,000 (QA_READ_PAGES)",
                "docx-comment": "its parts unpack to 1,000 MB, more than 200 MB (QA_READ_UNPACKED_MB)",
                "docx-text": "its text is 21.8 million characters, more than the 10.5 million"}
    if name in expected:
        assert expected[name] in skipped[0], skipped


@pytest.mark.slow
def test_a_reader_past_its_time_is_killed_and_the_next_file_is_read_by_a_fresh_one(tmp_path):
    """html.parser itself is quadratic on some markup (a page of unclosed start tags): the time budget holds."""
    from qa.config import ReadingBudget
    from qa.read.worker import reader

    write(tmp_path, "a-stuck.html", "<p>Stuck</p>" + "<a " * 200_000)
    write(tmp_path, "b-fine.txt", "Fine\nThe next file is read as usual.\n")
    budget = ReadingBudget(seconds=2, memory_mb=512)
    items = iter_documents(tmp_path, list_files(tmp_path), budget=budget)
    stuck = next(items)
    assert stuck.reason == "over the reading budget: not read within 2 s (QA_READ_SECONDS)"
    worker = reader(budget.memory_mb)
    assert worker.proc is None  # killed
    started = worker.started
    assert next(items).title == "Fine"
    assert worker.started == started + 1 and worker.proc.poll() is None  # a fresh worker read the next file


def test_counters_of_the_budget_stop_a_reader_early(tmp_path):
    from qa.config import ReadingBudget
    from qa.read.documents import parse_document

    small = ReadingBudget(pages=3, chars=500, unpacked_bytes=10_000)
    four = bombs.pdf([bombs.text_page(f"{word} page of the annual harvest report.", y=400)
                      for word in ("One", "Two", "Three", "Four")])
    with pytest.raises(Exception, match=r"^over the reading budget: 4 pages, more than 3 \(QA_READ_PAGES\)$"):
        parse_document("four.pdf", four, budget=small)
    long = bombs.pdf([bombs.text_page(f"{word} sentence on rice and coffee exports of the year. " * 4, y=400)
                      for word in ("One", "Another", "A third")])
    with pytest.raises(Exception, match=r"more than 0.0 million characters of text by page 3"):
        parse_document("long.pdf", long, budget=small)
    word = bombs.docx(bombs.body([b"Rice exports grew this year." * 500]))
    with pytest.raises(Exception, match=r"its parts unpack to 0 MB, more than 0.00953674 MB"):
        parse_document("big.docx", word, budget=small)
    with pytest.raises(Exception, match="Excessive depth"):  # libxml2 refuses nesting past 256 by itself
        parse_document("deep.docx", bombs.deep_docx())
    assert parse_document("four.pdf", four).pages == 4


def test_a_pdf_whose_only_text_repeats_on_every_page_says_so(tmp_path):
    """Finding 2's 60,000-page PDF was skipped as "no text layer": its one line was taken for a running head."""
    from qa.read.documents import parse_document

    with pytest.raises(Exception, match=r"^no text but what repeats on every page"):
        parse_document("same.pdf", bombs.many_pages_pdf(10))


NOT_UTF8 = [b"caf\xe9.txt", b"r\xe9sum\xe9s/notes.md", b"100%.txt"]


def _not_utf8_folder(folder: Path) -> None:
    write(folder, "plain.txt", "Plain name\nA file with a plain name about tea exports.\n")
    for name in NOT_UTF8:
        path = os.path.join(os.fsencode(folder), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(b"Odd name\nA file named " + name.replace(b"\xe9", b"e") + b" about pepper exports.\n")


def test_a_file_name_that_is_not_utf8_is_indexed_under_a_safe_reversible_id(tmp_path):
    """Finding 5: `qa index` ended in a UnicodeEncodeError traceback and indexed nothing."""
    from urllib.parse import unquote_to_bytes

    folder = tmp_path / "c"
    _not_utf8_folder(folder)
    result = subprocess.run([*FAKE_QA, "index", folder, "--index-dir", tmp_path / "ix", "-q"], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "indexed 4 documents" in result.stdout

    from helpers import HashEmbedder

    from qa import Index, Settings

    index = Index.open(tmp_path / "ix", settings=Settings(backend=HashEmbedder.backend), embedder=HashEmbedder())
    ids = {d.doc_id for d in index.documents()}
    assert ids == {"plain.txt", "caf%E9.txt", "r%E9sum%E9s/notes.md", "100%.txt"}
    for name in NOT_UTF8[:2]:  # the id gives the bytes back
        assert unquote_to_bytes(name.decode("latin-1").replace("\xe9", "%E9")) == name
    assert {unquote_to_bytes(i) for i in ids if "%E9" in i} == set(NOT_UTF8[:2])
    ask = subprocess.run([*FAKE_QA, "ask", "pepper exports", "--corpus", folder, "--index-dir", tmp_path / "ix",
                          "--json"], capture_output=True, text=True, timeout=120)
    assert ask.returncode == 0, ask.stderr  # not stale: the listing gives the same ids every time
    assert "caf%E9.txt" in ask.stdout


def test_a_safe_id_that_another_file_spells_is_skipped_with_the_reason(tmp_path):
    write(tmp_path, "caf%E9.txt", "Spelled\nA file whose own name spells the safe id.\n")
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt"), "wb") as f:
        f.write(b"Odd\nA file whose name is not UTF-8.\n")
    files = {f.doc_id: f for f in list_files(tmp_path)}
    assert files["caf%E9.txt"].problem is None
    (clash,) = [f for f in files.values() if f.problem]
    assert "its name is not UTF-8, and its safe id caf%E9.txt is the name of another file" in clash.problem


def test_a_folder_swapped_for_a_link_after_listing_is_not_followed(tmp_path):
    """Finding 7: O_NOFOLLOW guarded only the last component, so a folder swapped for a symlink mid-build led out
    and an outside secret.txt got indexed."""
    write(tmp_path, "outside/secret.txt", "Secret\nThe vault opens at noon.\n")
    write(tmp_path, "c/notes/secret.txt", "Notes\nA plain page of notes.\n")
    write(tmp_path, "c/top.txt", "Top\nA page at the top.\n")
    files = list_files(tmp_path / "c")
    shutil.rmtree(tmp_path / "c" / "notes")
    os.symlink(tmp_path / "outside", tmp_path / "c" / "notes")
    items = {i.doc_id: i for i in iter_documents(tmp_path / "c", files)}
    assert items["top.txt"].title == "Top"
    assert "cannot be read" in items["notes/secret.txt"].reason
    assert not hasattr(items["notes/secret.txt"], "text")


def test_a_link_inside_the_folder_through_a_swapped_folder_is_not_followed(tmp_path):
    write(tmp_path, "outside/doc.txt", "Secret\nThe vault opens at noon.\n")
    write(tmp_path, "c/.real/doc.txt", "Real\nA real page.\n")
    os.symlink(".real/doc.txt", tmp_path / "c" / "alias.txt")  # read through the link: .real is hidden
    files = list_files(tmp_path / "c")
    shutil.rmtree(tmp_path / "c" / ".real")
    os.symlink(tmp_path / "outside", tmp_path / "c" / ".real")
    (item,) = iter_documents(tmp_path / "c", files)
    assert "cannot be read" in item.reason


def test_bad_sizes_are_one_line_errors(tmp_path):
    write(tmp_path, "a.txt", "A page.\n")
    for value in ("nan", "inf", "1e309", "0", "-1"):
        result = subprocess.run([*FAKE_QA, "index", tmp_path, "--index-dir", tmp_path / "ix", "--max-file-mb", value],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
        assert "--max-file-mb / QA_MAX_FILE_MB must be a finite number above 0" in result.stderr
    result = subprocess.run([*FAKE_QA, "index", tmp_path, "--index-dir", tmp_path / "ix"], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "QA_READ_SECONDS": "nan"})
    assert result.returncode != 0 and "QA_READ_SECONDS must be a finite number above 0" in result.stderr


@pytest.mark.server
def test_a_served_folder_with_a_name_that_is_not_utf8_answers_health_and_lists_it(tmp_path):
    """Finding 5, served: /api/health answered 500 (and Rebuild {"error": null})."""
    import json
    import time

    from helpers import Server, fetch

    folder = tmp_path / "c"
    _not_utf8_folder(folder)
    server = Server(folder, tmp_path / "ix", command=FAKE_QA)
    try:
        status, _, body = fetch(server.url + "api/health")
        assert status == 200, body
        health = json.loads(body)
        assert health["documents"] == 4 and health["corpus_changed"] is False
        status, _, body = fetch(server.url + "api/documents")
        assert status == 200 and "caf%E9.txt" in json.loads(body).__repr__()
        with open(os.path.join(os.fsencode(folder), b"new \xff.txt"), "wb") as f:
            f.write(b"New\nA new file with an odd name.\n")
        time.sleep(2.5)  # past the health listing's cache
        status, _, body = fetch(server.url + "api/health")
        assert status == 200, body
        assert json.loads(body)["changes"] == "new %FF.txt added"
    finally:
        server.stop()


def test_every_file_not_read_is_named_in_the_summary_with_its_type(tmp_path):
    """Issue 22, item 5: files of other types were left out without a word."""
    folder = tmp_path / "c"
    write(folder, "report.txt", "Report\nRice exports grew by a tenth this year.\n")
    write(folder, "gold.jsonl", '{"question": "How much did rice exports grow?", "doc_id": "report.txt"}\n')
    write(folder, "budget.xlsx", b"PK\x03\x04 not read")
    write(folder, "old/letter.doc", b"\xd0\xcf\x11\xe0 not read")
    write(folder, "README", "no suffix\n")
    write(folder, ".git/config", "hidden: never named\n")
    for i in range(25):
        write(folder, f"src/module{i:02}.py", "print('not read')\n")
    result = subprocess.run([*FAKE_QA, "index", folder, "--index-dir", tmp_path / "ix", "-q"], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    skipped = [line for line in result.stderr.splitlines() if "skipped" in line]
    assert "qa: warning: skipped budget.xlsx: unsupported type .xlsx" in skipped
    assert "qa: warning: skipped old/letter.doc: unsupported type .doc" in skipped
    assert "qa: warning: skipped README: unsupported type (no suffix)" in skipped
    assert "qa: warning: skipped 8 more files: unsupported types (.py 8)" in skipped
    assert len(skipped) == 21 and not any("gold.jsonl" in line or ".git" in line for line in skipped)
    # never read, so never recorded: editing one leaves the index fresh
    write(folder, "budget.xlsx", b"PK\x03\x04 changed")
    ask = subprocess.run([*FAKE_QA, "ask", "rice exports", "--corpus", folder, "--index-dir", tmp_path / "ix"],
                         capture_output=True, text=True, timeout=120)
    assert ask.returncode == 0, ask.stderr


def test_the_reading_worker_runs_qa_s_own_code_whatever_folder_it_is_started_from(tmp_path, monkeypatch):
    """``python -m`` puts the working folder first on sys.path: a folder holding a ``qa`` of its own (a corpus
    someone made, another checkout) must not be the code that reads the files."""
    from qa.config import ReadingBudget
    from qa.read.worker import Reader

    marker = tmp_path / "ran"
    planted = tmp_path / "qa"
    (planted / "read").mkdir(parents=True)
    (planted / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('planted code ran')\n")
    (planted / "read" / "__init__.py").write_text("")
    (planted / "read" / "__main__.py").write_text(f"open({str(marker)!r}, 'w').write('planted code ran')\n")
    monkeypatch.chdir(tmp_path)
    reader = Reader(1024)
    try:
        answer = reader.read({"doc_id": "note.txt"}, b"Notes\nThe depot opens at seven.\n", ReadingBudget())
    finally:
        reader.close()
    assert answer["document"]["text"].startswith("Notes") and not marker.exists()
