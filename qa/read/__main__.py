"""``python -m qa.read MEMORY_MB``: the reading worker (``qa.read.worker``), serving ``documents.read_request``, and
``pagerender.render_request`` for a request that asks to render a PDF page.

The readers' libraries are imported before the memory limit applies, so that the limit is what parsing may take.
"""

import sys

import docx  # noqa: F401 - loaded before the limit, not on the first Word file
import lxml.etree  # noqa: F401
import PIL.Image  # noqa: F401
import pypdfium2  # noqa: F401

from .documents import read_request
from .pagerender import render_request
from .worker import serve


def handle(request, data, progress):
    return (render_request if "render" in request else read_request)(request, data, progress)


if __name__ == "__main__":
    serve(handle, float(sys.argv[1]))
