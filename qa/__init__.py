"""qa: answer questions from a folder of documents with the passages that say so, cited to the character.

    from qa import Index, build_index, Settings
    index = Index.open()                      # the bundled seeds/ corpus, index/ directory
    for hit in index.search("How many countries does Vietnam have diplomatic relations with?", k=3):
        print(hit.rank, hit.score, hit.doc_id, hit.start, hit.end, hit.text[:80])
"""

from .config import Settings
from .errors import QAError, StaleIndexError
from .index import MODES, Answer, DocumentInfo, Hit, Index
from .read.chunking import Passage
from .read.documents import Document, load_documents
from .service import build_index, ensure_index
from .store.build import BuildReport

__all__ = [
    "MODES",
    "Answer",
    "BuildReport",
    "Document",
    "DocumentInfo",
    "Hit",
    "Index",
    "Passage",
    "QAError",
    "Settings",
    "StaleIndexError",
    "build_index",
    "ensure_index",
    "load_documents",
]
