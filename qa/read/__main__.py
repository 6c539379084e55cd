"""``python -m qa.read MEMORY_MB``: the reading worker (``qa.read.worker``), serving ``documents.read_request``.

The readers' libraries are imported before the memory limit applies, so that the limit is what parsing may take.
"""

import sys

import docx  # noqa: F401 - loaded before the limit, not on the first Word file
import lxml.etree  # noqa: F401
import pypdfium2  # noqa: F401

from .documents import read_request
from .worker import serve

if __name__ == "__main__":
    serve(read_request, float(sys.argv[1]))
