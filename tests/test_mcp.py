"""qa.serve.mcp, driven by the MCP SDK's own client: `qa mcp` over stdio and /mcp of `qa serve` over streamable
HTTP list the tools and answer `search` with the same hits as `qa ask --json`; under a login /mcp wants it; a
malformed call is an MCP error and the server goes on. (The fake embedder: the protocol is what is tested.)"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess

import pytest
from helpers import FAKE_QA, basic_auth, fetch, serve_seeds

pytestmark = pytest.mark.server

QUESTION = "Which university is Tran Le Hung from?"


def _ask_json(corpus, index_dir, question: str, k: int) -> dict:
    out = subprocess.run([*FAKE_QA, "ask", "--json", "-k", str(k), "--corpus", corpus, "--index-dir", index_dir,
                          question], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _places(answer: dict) -> list:
    return [(h["doc_id"], h["start"], h["end"]) for h in answer["hits"]]


async def _session(client) -> dict:
    tools = await client.list_tools()
    found = await client.call_tool("search", {"question": QUESTION, "k": 3})
    listed = await client.call_tool("list_documents", {})
    doc = listed.structured_content["documents"][0]["id"]
    read = await client.call_tool("read_document", {"doc_id": doc, "start": 5, "end": 40})
    bad = [await client.call_tool("search", {"question": QUESTION, "k": "lots"}),
           await client.call_tool("search", {"question": "   "}),
           await client.call_tool("search", {"question": QUESTION, "k": 500}),
           await client.call_tool("read_document", {"doc_id": "../../etc/passwd"}),
           await client.call_tool("no_such_tool", {})]
    after = await client.call_tool("search", {"question": QUESTION, "k": 1})  # still serving
    return {"tools": {t.name: t for t in tools.tools}, "found": found, "read": read, "bad": bad, "after": after}


def _check(got: dict, expected: dict) -> None:
    assert set(got["tools"]) == {"search", "list_documents", "read_document"}
    assert "abstain" in got["tools"]["search"].description and "character" in got["tools"]["search"].description
    assert not got["found"].is_error and _places(got["found"].structured_content) == _places(expected)
    assert got["found"].structured_content["abstained"] == expected["abstained"]
    assert len(got["read"].structured_content["text"]) == 35
    assert all(b.is_error for b in got["bad"]), [b.content for b in got["bad"]]
    assert "from 1 to 50" in got["bad"][2].content[0].text and "no document" in got["bad"][3].content[0].text
    assert not got["after"].is_error and len(got["after"].structured_content["hits"]) == 1


def test_qa_mcp_over_stdio_answers_as_qa_ask_does(tmp_path):
    import shutil

    from helpers import SEEDS
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    shutil.copytree(SEEDS, tmp_path / "seeds")
    expected = _ask_json(tmp_path / "seeds", tmp_path / "index", QUESTION, 3)  # builds the index too
    params = StdioServerParameters(command=FAKE_QA[0], args=[*FAKE_QA[1:], "mcp", str(tmp_path / "seeds"),
                                                            "--index-dir", str(tmp_path / "index")],
                                   env={**os.environ})

    async def main():
        async with Client(params) as client:
            return await _session(client)

    _check(asyncio.run(main()), expected)


def _http_client(url: str, headers: dict | None = None):
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    class Transport:  # the SDK's own streamable-HTTP transport, with our headers
        def __init__(self):
            self.http = httpx2.AsyncClient(headers=headers or {}, timeout=60)

        async def __aenter__(self):
            self._cm = streamable_http_client(url, http_client=self.http)
            return await self._cm.__aenter__()

        async def __aexit__(self, *exc):
            await self._cm.__aexit__(*exc)
            await self.http.aclose()

    return Client(Transport())


def test_mcp_over_http_behind_the_guard(tmp_path):
    s = serve_seeds(tmp_path)
    try:
        expected = _ask_json(tmp_path / "seeds", tmp_path / "index", QUESTION, 3)

        async def main():
            async with _http_client(s.url + "mcp") as client:
                return await _session(client)

        _check(asyncio.run(main()), expected)
        status, _, _ = fetch(s.url + "mcp", headers={"Host": "evil.example"})
        assert status == 421
    finally:
        s.stop()


def test_mcp_over_http_wants_the_login(tmp_path, locked):
    status, headers, body = fetch(locked.url + "mcp", b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}',
                                  {"Content-Type": "application/json", "Accept": "application/json"}, "POST")
    assert status == 401 and "basic" in {k.lower(): v for k, v in headers.items()}["www-authenticate"].lower()

    async def main():
        async with _http_client(locked.url + "mcp", basic_auth("alice", "s3cret")) as client:
            found = await client.call_tool("search", {"question": "where is the launch code?", "k": 1})
            return found.structured_content

    assert "blue folder" in asyncio.run(main())["hits"][0]["text"]
