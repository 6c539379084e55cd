"""qa's retrieval as tools for an assistant, over the Model Context Protocol (the official SDK, ``mcp``): ``qa mcp``
serves them over stdio for desktop assistants, and ``qa serve`` at ``/mcp`` over the streamable-HTTP transport,
behind the same guard and credentials as every route (qa.serve.guard).

The tools answer as the JSON API does (qa.serve.asking): ``search`` gives exactly the object of ``/api/ask``.
Their descriptions are written for a model that has never seen qa: what a citation is, and what abstention means,
since an assistant that is told "the documents do not say" should say so rather than guess.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from ..errors import QAError
from ..index import DEFAULT_MODE, MAX_K, MODES
from ..rank.scope import KINDS, TYPES, Scope
from ..service import LiveIndex
from .asking import MAX_READ, Asker, Busy, Question, read_document

INSTRUCTIONS = """\
This server searches one fixed collection of documents (a folder of text, Markdown, HTML, PDF and Word files) and
answers with the passages that say so, cited to the character. It has no language model and never writes
prose of its own: every passage it returns is quoted exactly from a document.

Use `search` for a question. Trust its answer only as far as its fields say:
- `abstained: true` means the documents do not seem to answer the question; the hits are only the nearest
  passages. Tell the user the documents do not say, rather than answering from the hits or from memory.
- `conflicts` lists values on which the documents disagree (e.g. two different dates for one event): report
  both, with their sources, instead of choosing one silently.
- A citation is `doc_id` with `start`/`end`: character offsets into the document's stored text, so that
  `read_document(doc_id, start, end)` returns exactly the passage. Quote passages with their `title` and
  `doc_id` (and `pages` for a PDF) so the user can check them.
Use `read_document` to read around a hit, and `list_documents` to see what the collection holds."""

SEARCH = f"""\
Search the documents for the passages that best answer a question, each cited to the character.

Arguments: `question` (plain text, up to 10,000 characters), `k` (how many passages, 1 to {MAX_K}, default 5),
`mode` ({", ".join(sorted(MODES))}; default {DEFAULT_MODE}: word matching and meaning combined).
To search only part of the collection (a scope; the fields combine with AND, a list within one field with OR):
`doc` (document ids, as list_documents gives them), `folder` (folders inside the collection, e.g. "reports/2025"),
`type` (file types: {", ".join(sorted(TYPES))}), `kind` (passage kinds: {", ".join(KINDS)}), `since` and
`until` (document dates, YYYY, YYYY-MM or YYYY-MM-DD; undated documents are then left out), `pages` (PDF pages,
e.g. "2-5"). Every hit then comes from within the scope, and abstention is judged within it; a scope that holds
no passage is an error that names it, never an answer from elsewhere.

Returns the answer object: `hits` (best first), each with `text` (the passage, quoted exactly), `doc_id`,
`title`, `date`, `source` (a URL, if the document names one), `start`/`end` (character offsets into the
document's stored text), `pages` (PDF pages), `answer_spans` (offsets of the sentence(s) that best answer);
`confidence` (0 to 1) against `threshold`, and `abstained`: true when the documents do not seem to answer, and
then the hits are only the nearest passages, not an answer; `conflicts`: values the documents disagree on, with
the hits that give each."""

LIST = """\
List every document of the collection: `id` (the doc_id citations use), `title`, `date`, `source`, how many
`passages` it was cut into, and `pages` (of a PDF; 0 otherwise)."""

READ = f"""\
Read part of one document's stored text: characters `start` to `end` (offsets as search's citations give them;
at most {MAX_READ:,} characters at a time; `end` defaults to the end of the document, `start` to 0). Returns
`text` with `doc_id`, `title`, `start`, `end` and `length` (the whole document's length), so that a long document
can be read piece by piece."""


def create_mcp(live: LiveIndex, asker: Asker):
    """The MCP server of an index a server answers from: the tools ``search``, ``list_documents`` and
    ``read_document``."""
    from mcp.server import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer(name="qa", instructions=INSTRUCTIONS, log_level="WARNING")

    @contextlib.contextmanager
    def said():  # our errors reach the model with their message (the SDK keeps others' text on the server)
        try:
            yield
        except (QAError, Busy) as e:
            raise ToolError(str(e)) from None

    @server.tool(description=SEARCH)
    async def search(question: str, k: int = 5, mode: str = DEFAULT_MODE, doc: list[str] | None = None,
                     folder: list[str] | None = None, type: list[str] | None = None, kind: list[str] | None = None,
                     since: str | None = None, until: str | None = None,
                     pages: str | None = None) -> dict[str, Any]:
        with said():
            scope = Scope.of(doc, folder, type, kind, since, until, pages)
            return json.loads(await asker.answer(Question.of(question, k, mode, scope)))

    @server.tool(description=LIST)
    async def list_documents() -> dict[str, Any]:
        with said():
            docs = await asker.run(live.current.documents)
        return {"documents": [{"id": d.doc_id, "title": d.title, "date": d.date, "source": d.source,
                               "passages": d.n_passages, "pages": d.pages} for d in docs]}

    @server.tool(name="read_document", description=READ)
    async def read(doc_id: str, start: int = 0, end: int | None = None) -> dict[str, Any]:
        with said():
            return await asker.run(read_document, live, doc_id, start, end)

    return server


def http_routes(server) -> list:
    """The streamable-HTTP transport's routes, at /mcp, for ``qa serve``'s app. Stateless, with JSON responses: no
    session store that a flood of callers could fill (the lesson of the page's queue), and any replica may answer.
    The guard checks hosts, credentials and bodies (so the SDK's own host check, which knows only loopback, is
    off); run ``server.session_manager.run()`` in the app's lifespan."""
    from mcp.server.transport_security import TransportSecuritySettings

    app = server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True,
                                     transport_security=TransportSecuritySettings(
                                         enable_dns_rebinding_protection=False))
    return list(app.routes)


def run_stdio(live: LiveIndex) -> None:
    """Serve the tools over stdin and stdout until the assistant closes them (answers in threads of this process)."""
    import anyio

    anyio.run(create_mcp(live, Asker(live)).run_stdio_async)
