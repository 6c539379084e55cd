"""pdfium, opened safely: one lock for the process (pdfium is not thread-safe) and a document opened from bytes
with a one-line reason when it cannot be (``Unreadable``). Shared by the readers of PDF text, boxes, pages and scans.
"""

from __future__ import annotations

import threading

from .extracted import Unreadable

#: One extraction at a time: pdfium keeps global state and must not be entered from two threads. Re-entrant, so
#: that a progress callback that reads another PDF in the same thread does not wait for itself.
_PDFIUM_LOCK = threading.RLock()

#: pdfium's own mark for a hyphen it found at a line end (it then leaves out the line break).
_PDFIUM_HYPHEN = "\ufffe"
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st",
                            "\xa0": " ", "\t": " ", _PDFIUM_HYPHEN: "-"})


def _pdfium():
    import pypdfium2 as pdfium
    from pypdfium2 import raw

    return pdfium, raw


def _open(data: bytes):
    """The pdfium document, opened from ``data`` (which must outlive it: pdfium reads it in place)."""
    pdfium, raw = _pdfium()
    handle = raw.FPDF_LoadMemDocument64(data, len(data), None)
    if not handle:
        # Read at once: pdfium keeps the last error of any call, and does not clear it on success.
        error = raw.FPDF_GetLastError()
        if error in (raw.FPDF_ERR_PASSWORD, raw.FPDF_ERR_SECURITY):
            raise Unreadable("encrypted: qa cannot read it")
        import pypdfium2.internal as pdfium_i

        why = "pdfium: " + pdfium_i.ErrorToStr.get(error, f"error {error}").lower()
        if b"%PDF-" not in data[:1024]:
            why += "; no %PDF header, so not a PDF at all"
        elif b"%%EOF" not in data[-2048:]:
            why += "; no %%EOF at the end, so the file looks cut short"
        raise Unreadable(f"not a readable PDF ({why})")
    if raw.FPDF_GetPageCount(handle) < 1:
        raw.FPDF_CloseDocument(handle)
        raise Unreadable("not a readable PDF (it has no pages)")
    return pdfium.PdfDocument(handle)
