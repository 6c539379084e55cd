"""Files under the size cap that used to sink a build (issue 20, finding 2), made at test time: none is committed.

Each function returns the bytes of one file. The sizes are those of the findings: what the files decompress or
expand to is what makes them bombs, not what they weigh on disk.
"""

from __future__ import annotations

import io
import zipfile
import zlib


def pdf(pages: list[bytes], compress: bool = False, extra: bytes = b"", repeat: int = 1) -> bytes:
    """A PDF written byte by byte: each page one content stream, Helvetica as /F1, and a correct xref table; with
    ``repeat``, each content stream is drawn by that many pages."""
    objects = [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    pages_obj = 2  # the page tree right after the font, so that every page can name it before it is written
    objects.append(b"")  # placeholder for the page tree
    kids = []
    for ops in pages:
        body = zlib.compress(ops, 9) if compress else ops
        flt = b" /Filter /FlateDecode" if compress else b""
        objects.append(b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(body), flt, body))
        contents = len(objects)
        for _ in range(repeat):
            objects.append(b"<< /Type /Page /Parent %d 0 R /Contents %d 0 R >>" % (pages_obj, contents))
            kids.append(len(objects))
    objects[pages_obj - 1] = (b"<< /Type /Pages /MediaBox [0 0 612 792] /Resources << /Font << /F1 1 0 R >> >> "
                              b"/Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
    objects.append(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    out += extra
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, len(objects), xref)
    return bytes(out)


def text_page(text: str, y: int = 700) -> bytes:
    return f"BT /F1 12 Tf 72 {y} Td ({text}) Tj ET".encode("cp1252")


def drawing_pdf(size: int = 2**20) -> bytes:
    """A 1 MB PDF of drawing operators: one page of strokes each under one more clipping path, which pdfium keeps
    with every later stroke, so memory grows with the square of the strokes (> 6 GB RSS in 32 s)."""
    op = b"0 0 m 1 1 l 2 0 l h W n 0 0 m 1 1 l S\n"
    return pdf([text_page("Drawings") + b"\n" + op * (size // len(op))])


def image_pdf(width: int, height: int, compressed: bytes, page: tuple[int, int] = (595, 842)) -> bytes:
    """A PDF of one page that draws one flate-compressed 8-bit grey image over the whole of it, and nothing else: a
    scanned page as scanners write them."""
    objects = [b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
               b"/Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (width, height, len(compressed), compressed)]
    draw = b"q %d 0 0 %d 0 0 cm /Im0 Do Q" % page
    objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draw), draw))
    objects.append(b"<< /Type /Page /Parent 4 0 R /MediaBox [0 0 %d %d] /Resources << /XObject << /Im0 1 0 R >> >> "
                   b"/Contents 2 0 R >>" % page)
    objects.append(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    objects.append(b"<< /Type /Catalog /Pages 4 0 R >>")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, len(objects), xref)
    return bytes(out)


def huge_scan_pdf(side: int = 40_000) -> bytes:
    """A ~1.6 MB PDF of one A4 page that is a scan of ``side`` x ``side`` grey pixels (1.6 billion: 1.5 GB
    decoded), white: pdfium must decode the image to draw the page that OCR reads."""
    z = zlib.compressobj(9)
    row = b"\xff" * side
    parts = [z.compress(row * 256) for _ in range(side // 256)] + [z.compress(row * (side % 256)), z.flush()]
    return image_pdf(side, side, b"".join(parts))


def text_stream_pdf(chars: int = 20 * 2**20) -> bytes:
    """A ~72 KB PDF whose one page holds a flate-compressed 20 MB text stream (3.3 GB, still running after 240 s)."""
    line = b"0 -1 Td (The same words again and again) Tj\n"
    return pdf([b"BT /F1 1 Tf 10 700 Td\n" + line * (chars // len(line)) + b"ET"], compress=True)


def many_pages_pdf(pages: int = 60_000) -> bytes:
    """A ~8 MB PDF of 60,000 pages that all draw one shared line of text (171 s, then skipped as "no text layer":
    the line repeats on every page, so it was taken for a running head)."""
    return pdf([text_page("A line of the same text on every page")], repeat=pages)


def docx(document_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal .docx package around ``document_xml`` (the body), with more parts in ``extra``."""
    rels = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'officeDocument" Target="word/document.xml"/></Relationships>')
    overrides = b"".join(b'<Override PartName="/%s" ContentType="application/vnd.openxmlformats-officedocument.'
                         b'wordprocessingml.comments+xml"/>' % name.encode() for name in (extra or {}))
    types = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             b'<Default Extension="xml" ContentType="application/xml"/>'
             b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             b'wordprocessingml.document.main+xml"/>' + overrides + b'</Types>')
    doc_rels = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                + b"".join(b'<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                           b'relationships/comments" Target="%s"/>' % (i + 10, name.split("/", 1)[1].encode())
                           for i, name in enumerate(extra or {}))
                + b'</Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/_rels/document.xml.rels", doc_rels)
        z.writestr("word/document.xml", document_xml)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


_W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def body(paragraphs: list[bytes] | bytes) -> bytes:
    inner = paragraphs if isinstance(paragraphs, bytes) else b"".join(
        b"<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % p for p in paragraphs)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document %s><w:body>%s</w:body></w:document>' % (
        _W, inner)


def docx_text(chars: int = 20 * 2**20) -> bytes:
    """A ~72 KB .docx whose body is 20 MB of text (> 200 s)."""
    para = b"<w:p><w:r><w:t>The same sentence of the report, written once more.</w:t></w:r></w:p>"
    return docx(body(para * (chars // 50)))


def docx_comment(size: int = 2**20) -> bytes:
    """A 1 MB .docx with a short body and one comment that inflates to about a gigabyte (1.96 GB RSS)."""
    filler = b"A" * (1000 * size)  # deflate's best ratio is ~1030:1
    comments = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:comments %s><w:comment w:id="0">'
                b"<w:p><w:r><w:t>%s</w:t></w:r></w:p></w:comment></w:comments>" % (_W, filler))
    return docx(body([b"A short report on rice exports."]), {"word/comments.xml": comments})


def deep_docx(depth: int = 100_000) -> bytes:
    """A .docx whose body nests elements ``depth`` deep."""
    return docx(body(b"<w:sdt><w:sdtContent>" * depth + b"<w:p><w:r><w:t>deep</w:t></w:r></w:p>"
                     + b"</w:sdtContent></w:sdt>" * depth))


def nav_html(size: int = 2**20) -> bytes:
    """An HTML page of ``<nav>`` holding unclosed elements and end tags that close none of them (quadratic before:
    300 KB 37 s, 1 MB 341 s)."""
    half = size // 2
    return (b"<html><body><p>Article text before the menu.</p><nav>" + b"<i>" * (half // 3) + b"</b>" * (half // 4)
            + b"</nav><p>Article text after the menu.</p></body></html>")


#: Every bomb of finding 2 by name, as the file it is found in: name -> (file name, bytes maker).
BOMBS = {
    "drawing": ("drawing.pdf", drawing_pdf),
    "text-stream": ("stream.pdf", text_stream_pdf),
    "many-pages": ("pages.pdf", many_pages_pdf),
    "docx-text": ("long.docx", docx_text),
    "docx-comment": ("comment.docx", docx_comment),
    "nav-html": ("menu.html", nav_html),
}


# --- measuring a run ---------------------------------------------------------------------------------------------


def _tree_rss(pid: int) -> int:
    """Bytes resident in ``pid`` and all its descendants now (from /proc; 0 for what has gone meanwhile)."""
    import os

    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    return total


def run_measured(command: list, timeout: float) -> tuple[int, str, float, int]:
    """Run ``command``; (exit status, stdout and stderr, seconds, peak bytes resident in its whole process tree,
    sampled every 50 ms)."""
    import subprocess
    import tempfile
    import time

    with tempfile.TemporaryFile("w+") as out:
        started = time.monotonic()
        proc = subprocess.Popen([str(c) for c in command], stdout=out, stderr=subprocess.STDOUT, text=True)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            if time.monotonic() - started > timeout:
                proc.kill()
                proc.wait()
                break
            time.sleep(0.05)
        seconds = time.monotonic() - started
        out.seek(0)
        return proc.returncode, out.read(), seconds, peak
