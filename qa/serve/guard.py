"""The guard in front of every route of `qa serve`: anyone who reaches the port may call any route, the page's and
Gradio's own included, so everything that bounds what a caller can make the server do lives here, in one ASGI
middleware around the whole app.

- **Hosts.** Only requests naming an allowed host are answered (loopback names, the address bound, and
  ``--allow-host``): a web page the user visits cannot read the corpus through DNS rebinding. ``X-Forwarded-*``
  headers are honoured only from a ``--trusted-proxy``, and dropped otherwise, so they can neither rewrite the
  page's links nor change who a caller is.
- **Callers.** A caller is its peer address (the client ``X-Forwarded-For`` names, when the peer is a trusted proxy).
- **Credentials.** With a login (``--auth-file``), /api/ and /mcp want HTTP Basic and the page its login (which also
  opens the API routes the page links to, ``PAGE_LINKED``, for a GET); every
  failed check (a wrong password, a failed page login; not a request without credentials) counts against the
  caller, and past ``CREDENTIAL_ATTEMPTS`` a minute every check is refused with 429, the right password included,
  until the minute has passed.
- **Bodies.** Over ``MAX_BODY`` on /api/ and Gradio's routes, or ``MAX_UPLOAD_MB`` on an upload: 413. Uploads in
  all: ``UPLOAD_CLIENT_MB`` per caller and ``UPLOAD_TOTAL_MB`` in all within ``UPLOAD_WINDOW`` seconds, then 429.
  JSON nested deeper than ``MAX_JSON_DEPTH``: 400, before anything parses it.
- **The page's events.** An event that does not exist or is not offered: 404; the wrong number of values: 422. At
  most ``EVENTS_PER_CLIENT`` of a caller's events wait or run at once, ``EVENTS_WAITING`` in all, and one rebuild or
  evaluation: past that, 429. Results nobody collects are dropped after ``UNREAD_SECONDS``, and at most
  ``UNREAD_SESSIONS`` are kept: a caller who never reads cannot fill the memory or stop the queue
  (``bound_queue``).
- Every answer carries headers that keep the page out of other sites' frames and stop content sniffing; an error
  inside the app is a JSON 500 with those headers, never a bare traceback page.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import sys
import threading
import time
import traceback
from collections import OrderedDict, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

#: The largest request body /api/ and Gradio's event routes accept (a question is at most 10,000 characters), and
#: that of a batch of questions (qa.serve.asking.MAX_BATCH of them).
MAX_BODY, MAX_BATCH_BODY = 64 * 1024, 2 * 2**20
#: A gold set is a few hundred lines of JSON: a cap far above that still stops a 300 MB upload at once.
MAX_UPLOAD_MB = 5
#: Uploads per caller, and in all, within UPLOAD_WINDOW seconds (then 429).
UPLOAD_CLIENT_MB, UPLOAD_TOTAL_MB, UPLOAD_WINDOW = 100, 1024, 600
#: Failed credential checks per caller per CREDENTIAL_WINDOW seconds before every check is refused (429).
CREDENTIAL_ATTEMPTS, CREDENTIAL_WINDOW = 10, 60
#: JSON nesting deeper than this is refused before it is parsed: no request body of ours needs more than 3.
MAX_JSON_DEPTH = 32
#: Page events one caller may have waiting or running at once, and all callers together.
EVENTS_PER_CLIENT, EVENTS_WAITING = 16, 256
#: Events of which one at a time may wait or run: each holds the cores (or the index directory) for seconds.
SINGLE_EVENTS = ("rebuild", "evaluate")
#: Results of page events nobody has collected are dropped this many seconds after their last use, and at most this
#: many sessions' results are kept (measured: a flood of 2,500 unread searches held 930 MB before, in 2,000
#: sessions; see tests/test_guard.py).
UNREAD_SECONDS, UNREAD_SESSIONS = 60, 256
#: Host names always allowed: the machine itself.
LOOPBACK = ("localhost", "127.0.0.1", "::1")
#: Headers a client may use to claim another address or host; only a trusted proxy's are kept.
FORWARDED = (b"x-forwarded-for", b"x-forwarded-host", b"x-forwarded-proto", b"x-forwarded-port",
             b"x-forwarded-prefix", b"forwarded", b"x-real-ip")
SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
#: Routes of the page that answer without a login under --auth by Gradio's design but must not: they tell a
#: stranger about the server's sessions or schema.
LOGIN_REQUIRED = ("/gradio_api/heartbeat/", "/gradio_api/openapi.json", "/openapi.json")
#: API routes the page itself links to (a lit PDF page as an <img>, the original file): a browser logged in to the
#: page sends its login cookie there, not HTTP Basic, so for a GET the page's login is enough.
PAGE_LINKED = ("/api/documents/",)


# --- who is asking, and which host they asked for ---------------------------------------------------------------


@dataclass(frozen=True)
class Network:
    """The hosts the server answers for and the proxies whose forwarding headers it believes."""

    hosts: frozenset[str]
    trusted_proxies: frozenset[str] = frozenset()

    @classmethod
    def of(cls, bound: str, allow_hosts: Iterable[str] = (), trusted_proxies: Iterable[str] = ()) -> Network:
        names = {*LOOPBACK, *(h.strip().lower().strip("[]") for h in allow_hosts if h.strip())}
        if bound not in ("0.0.0.0", "::", ""):
            names.add(bound.lower().strip("[]"))
        return cls(frozenset(names), frozenset(p.strip() for p in trusted_proxies if p.strip()))

    def host_allowed(self, host: bytes | None) -> bool:
        if not host:
            return False
        name = host.decode("latin-1").strip().lower()
        if name.startswith("["):  # [::1]:7860
            name = name[1:].partition("]")[0]
        elif name.count(":") == 1:
            name = name.partition(":")[0]
        return name in self.hosts

    def client(self, scope) -> str:
        """The caller: the peer's address, or, from a trusted proxy, the last address X-Forwarded-For names that
        is not one of the trusted proxies."""
        peer = (scope.get("client") or ("?", 0))[0]
        if peer not in self.trusted_proxies:
            return peer
        forwarded = dict(scope["headers"]).get(b"x-forwarded-for", b"").decode("latin-1")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        return next((h for h in reversed(hops) if h not in self.trusted_proxies), peer)

    def scrubbed(self, scope):
        """``scope`` without forwarding headers unless its peer is a trusted proxy."""
        if (scope.get("client") or ("?", 0))[0] in self.trusted_proxies:
            return scope
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in FORWARDED]
        return scope if len(headers) == len(scope["headers"]) else {**scope, "headers": headers}


class Window:
    """Amounts per key within the last ``seconds`` (a sliding window), against a per-key and an overall limit."""

    def __init__(self, per_key: float, seconds: float, overall: float | None = None):
        self.per_key, self.seconds, self.overall = per_key, seconds, overall
        self._seen: dict[str, deque] = defaultdict(deque)
        self._sums: dict[str, float] = defaultdict(float)
        self._all: deque = deque()
        self._total = 0.0
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._all and now - self._all[0][0] > self.seconds:
            _, key, amount = self._all.popleft()
            self._total -= amount
            seen = self._seen[key]
            seen.popleft()
            self._sums[key] -= amount
            if not seen:
                del self._seen[key], self._sums[key]

    def full(self, key: str) -> bool:
        with self._lock:
            self._expire(time.monotonic())
            return self._sums.get(key, 0) >= self.per_key or \
                (self.overall is not None and self._total >= self.overall)

    def add(self, key: str, amount: float = 1.0) -> None:
        with self._lock:
            now = time.monotonic()
            self._expire(now)
            self._seen[key].append(now)
            self._sums[key] += amount
            self._all.append((now, key, amount))
            self._total += amount


def check_basic(header: bytes | None, credentials: tuple[str, str]) -> bool:
    """Whether an Authorization header carries ``credentials`` (compared in constant time)."""
    scheme, _, encoded = (header or b"").decode("latin-1").partition(" ")
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return bool(scheme.lower() == "basic" and sep) & secrets.compare_digest(user.encode(), credentials[0].encode()) \
        & secrets.compare_digest(password.encode(), credentials[1].encode())


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` nests arrays and objects deeper than ``limit`` (strings skipped; malformed JSON is left to
    the parser, which then meets no deep recursion)."""
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


# --- the page's queue ---------------------------------------------------------------------------------------------


class _Discard:
    """Where messages for a session whose results were dropped go: nowhere (Gradio's queue writes to a session's
    mailbox without checking that it is still there; a KeyError there used to stop the whole queue)."""

    def put_nowait(self, message) -> None:
        pass

    async def put(self, message) -> None:
        pass

    def empty(self) -> bool:
        return True

    def qsize(self) -> int:
        return 0


def _mailboxes(queue, capacity: int, max_age: float):
    """A replacement for Gradio's ``pending_messages_per_session``: the same mapping, bounded in count and age, whose
    eviction forgets the session's pending event ids too and never makes a later write fail."""
    from gradio.utils import LRUCache

    class Mailboxes(LRUCache):
        def __init__(self):
            super().__init__(capacity)
            self.used: dict[str, float] = {}

        def _touch(self, key) -> None:
            self.used[key] = time.monotonic()
            if key in self:
                self.move_to_end(key)

        def _forget(self, key) -> None:
            OrderedDict.pop(self, key, None)
            self.used.pop(key, None)
            queue.pending_event_ids_session.pop(key, None)

        def expire(self) -> None:
            cutoff = time.monotonic() - max_age
            while len(self) and self.used.get(next(iter(self)), 0) < cutoff:
                self._forget(next(iter(self)))

        def __setitem__(self, key, value) -> None:
            self.expire()
            while key not in self and len(self) >= capacity:
                self._forget(next(iter(self)))
            OrderedDict.__setitem__(self, key, value)
            self._touch(key)

        def __getitem__(self, key):
            if key not in self:
                return _Discard()
            self._touch(key)
            return OrderedDict.__getitem__(self, key)

        def __delitem__(self, key) -> None:
            self._forget(key)

    boxes = Mailboxes()
    for key, value in queue.pending_messages_per_session.items():
        boxes[key] = value
    return boxes


def bound_queue(blocks) -> None:
    """Bound the page's queue (``blocks.queue()`` must have run): results nobody collects are dropped
    (``UNREAD_SECONDS``, ``UNREAD_SESSIONS``), sessions of state are capped, the queue holds ``EVENTS_WAITING``."""
    queue = blocks._queue
    queue.max_size = EVENTS_WAITING
    queue.pending_messages_per_session = _mailboxes(queue, UNREAD_SESSIONS, UNREAD_SECONDS)
    blocks.state_session_capacity = UNREAD_SESSIONS * 4  # sessions of gr.State (the Evaluate tab's rows)


@dataclass
class _Events:
    """Which caller submitted which of the events the queue still holds (waiting or running)."""

    by_client: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def live(self, queue, client: str) -> int:
        with self.lock:
            ids = self.by_client.get(client, set())
            ids &= set(queue.event_ids_to_events)
            if not ids:
                self.by_client.pop(client, None)
            return len(ids)

    def add(self, client: str, event_id: str) -> None:
        with self.lock:
            self.by_client[client].add(event_id)


# --- the middleware ---------------------------------------------------------------------------------------------


class Guard:
    """ASGI middleware around the whole app (see the module's docstring)."""

    def __init__(self, app, blocks, allowed_api_names: set[str], network: Network,
                 auth: tuple[str, str] | None = None, upload_mb: float = MAX_UPLOAD_MB, page=None):
        self.app, self.blocks, self.allowed_api_names = app, blocks, allowed_api_names
        self.page = page  # the Gradio app serving the page: it holds the tokens of who logged in
        self.network, self.auth = network, auth
        self.upload_mb = upload_mb  # one upload's most (a server that takes documents: the build's --max-file-mb)
        self.credentials = Window(CREDENTIAL_ATTEMPTS, CREDENTIAL_WINDOW)
        self.uploads = Window(UPLOAD_CLIENT_MB * 2**20, UPLOAD_WINDOW, UPLOAD_TOTAL_MB * 2**20)
        self.events = _Events()

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        state = {"started": False, "status": 0}

        async def send_guarded(message):
            if message["type"] == "http.response.start":
                state["started"], state["status"] = True, message["status"]
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        if not self.network.host_allowed(dict(scope["headers"]).get(b"host")):
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await _json(send_guarded, 421, "this server does not answer for that host name; start qa serve "
                                                  "with --allow-host NAME to allow it")
        client = self.network.client(scope)
        scope = self.network.scrubbed(scope)
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        try:
            await self._handle(scope, receive, send_guarded, client, state)
        except Exception:  # a bug or a library's failure: logged here, never a bare 500 page
            traceback.print_exc(file=sys.stderr)
            if not state["started"]:
                await _json(send_guarded, 500, "internal error; the server's log has the details")

    async def _handle(self, scope, receive, send, client: str, state: dict) -> None:
        path, method = scope["path"], scope["method"]
        if path.startswith(("/api/", "/mcp")) or path == "/api":
            page_login = method == "GET" and path.startswith(PAGE_LINKED) and self.auth and self._logged_in(scope)
            refusal = None if page_login else self._credential_refusal(client,
                                                                        dict(scope["headers"]).get(b"authorization"))
            if refusal:
                status, message = refusal
                extra = [(b"www-authenticate", b'Basic realm="qa"')] if status == 401 else []
                return await _json(send, status, message, extra)
        elif self.auth and path.startswith(LOGIN_REQUIRED) and not self._logged_in(scope):
            return await _json(send, 401, "log in first")
        limit = _body_limit(path, self.upload_mb)
        if method in ("POST", "PUT", "PATCH") and limit is not None:
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                return await _json(send, 413, f"the request body is over {limit // 1024:,} KiB")
            if path.startswith("/gradio_api/upload"):
                if self.uploads.full(client):
                    await _read_body(receive, limit)  # read (and drop) what the caller sends, so it hears the answer
                    return await _json(send, 429, f"too many uploads: at most {UPLOAD_CLIENT_MB} MB per client and "
                                                  f"{UPLOAD_TOTAL_MB} MB in all within {UPLOAD_WINDOW // 60} "
                                                  f"minutes; wait and try again")
                return await self._capped(scope, receive, send, limit, client)
            body, receive = await _read_body(receive, limit)
            if body is None:
                return await _json(send, 413, f"the request body is over {limit // 1024:,} KiB")
            if json_too_deep(body):
                return await _json(send, 400, f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
            if path.rstrip("/").endswith("/login"):
                if self.credentials.full(client):
                    return await _json(send, 429, "too many failed logins; wait a minute")
                return await self._login(scope, receive, send, client, state)
            event = _event_route(path)
            if event is not None:
                refusal = self._event_refusal(event, body, client)
                if refusal is not None:
                    return await _json(send, *refusal)
                return await self._submitting(scope, receive, send, client)
        await self.app(scope, receive, send)

    # -- credentials --

    def _credential_refusal(self, client: str, header: bytes | None) -> tuple[int, str] | None:
        if self.auth is None:
            return None
        if self.credentials.full(client):
            return 429, f"too many failed credential checks; wait {CREDENTIAL_WINDOW} seconds"
        if check_basic(header, self.auth):
            return None
        if header is not None:  # a guess; asking without credentials (as a browser does first) is not one
            self.credentials.add(client)
        return 401, "this server wants a user name and password (HTTP Basic)"

    def _logged_in(self, scope) -> bool:
        headers = dict(scope["headers"])
        if check_basic(headers.get(b"authorization"), self.auth):
            return True
        app = self.page or self.blocks.app
        cookies = headers.get(b"cookie", b"").decode("latin-1")
        names = (f"access-token-{app.cookie_id}", f"access-token-unsecure-{app.cookie_id}")
        for part in cookies.split(";"):
            name, _, value = part.strip().partition("=")
            if name in names and value in app.tokens:
                return True
        return False

    async def _login(self, scope, receive, send, client: str, state: dict) -> None:
        await self.app(scope, receive, send)
        if state["status"] != 200:  # a failed login counts like a wrong password on /api/
            self.credentials.add(client)

    # -- bodies --

    async def _capped(self, scope, receive, send, limit: int, client: str) -> None:
        """Pass an upload through, counting its bytes against the caller, and answer 413 once more than ``limit``
        bytes arrived (a chunked body has no length to check first)."""
        seen, over, answered = 0, False, False

        async def wrapped():
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def replaced(message):  # once the cap is passed, the app's own answer is replaced
            nonlocal answered
            if not over:
                return await send(message)
            if not answered:
                answered = True
                await _json(send, 413, f"the request body is over {limit // 1024:,} KiB")

        try:
            await self.app(scope, wrapped, replaced)
        except Exception:
            if not over:
                raise
        finally:
            self.uploads.add(client, seen)
        if over and not answered:
            await _json(send, 413, f"the request body is over {limit // 1024:,} KiB")

    # -- the page's events --

    def _event_refusal(self, event: tuple[str | None, bool], body: bytes, client: str) -> tuple[int, str] | None:
        """(status, message) when a Gradio event call names an event that is not offered, brings the wrong values,
        or would pass the bounds on waiting events. ``event``: (the endpoint named, or None for queue/join; whether
        it takes named parameters, as call/v2 does)."""
        name, v2 = event
        fn = None
        if name is not None:
            if name not in self.allowed_api_names:
                return 404, f"no such endpoint: /{name}"
            fn = next(f for f in self.blocks.fns.values() if f.api_name == name)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return 422, "malformed request: a JSON object expected"
        if not isinstance(payload, dict):
            return 422, "malformed request: a JSON object expected"
        if v2:
            names = _parameter_names(fn)
            unknown = sorted(set(payload) - set(names) - {"oauth_token"})
            if unknown:
                return 422, f"unknown parameter {unknown[0]!r}; this endpoint takes {', '.join(names)}"
        else:
            data, fn_index = payload.get("data"), payload.get("fn_index") if fn is None else fn._id
            if fn is None:
                if not isinstance(fn_index, int) or fn_index not in self.blocks.fns:
                    return 404, f"no such event: {fn_index!r}"
                fn = self.blocks.fns[fn_index]
            if not isinstance(data, list) or len(data) != len(fn.inputs):
                got = len(data) if isinstance(data, list) else type(data).__name__
                return 422, f"this event takes {len(fn.inputs)} values in \"data\", got {got}"
        foreign = _foreign_file(payload)
        if foreign is not None:
            return 403, f"only files uploaded to this server may be named in an event, not {foreign!r}"
        return self._bound_refusal(fn, client)

    def _bound_refusal(self, fn, client: str) -> tuple[int, str] | None:
        queue = self.blocks._queue
        name = fn.api_name or getattr(fn.fn, "__name__", "")
        if name in SINGLE_EVENTS and any(e.fn is fn for e in list(queue.event_ids_to_events.values())):
            return 429, f"a {name} is already waiting or running; one at a time"
        if self.events.live(queue, client) >= EVENTS_PER_CLIENT:
            return 429, f"too many of your events are waiting (at most {EVENTS_PER_CLIENT}); collect their results " \
                        f"or wait"
        if len(queue.event_ids_to_events) >= EVENTS_WAITING:
            return 429, "the server is busy; try again in a moment"
        return None

    async def _submitting(self, scope, receive, send, client: str) -> None:
        """Pass an event's submission on, and remember which caller the event id it is given belongs to."""
        chunks = []

        async def watching(message):
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    try:
                        event_id = json.loads(b"".join(chunks)).get("event_id")
                    except (ValueError, AttributeError, UnicodeDecodeError):
                        event_id = None
                    if isinstance(event_id, str):
                        self.events.add(client, event_id)
            await send(message)

        await self.app(scope, receive, watching)


def _foreign_file(payload, depth: int = 0) -> str | None:
    """The first file an event's values name (Gradio's FileData: {"path": ..., "url": ...}) that is not in this
    server's upload folder, or a URL to fetch; None when there is none. Gradio copies a named file into its cache
    before the event sees it (so the event cannot tell), and checks the folder only for apps it launched itself."""
    if depth > MAX_JSON_DEPTH:
        return None
    if isinstance(payload, list):
        return next((f for item in payload if (f := _foreign_file(item, depth + 1)) is not None), None)
    if not isinstance(payload, dict):
        return None
    path, url = payload.get("path"), payload.get("url")
    if isinstance(path, str):  # the page sends an upload's path and its URL here; the path is what Gradio reads
        from gradio.utils import get_upload_folder

        folder = os.path.realpath(get_upload_folder())
        if not os.path.realpath(path).startswith(folder + os.sep):
            return path
    elif isinstance(url, str) and url:  # a URL alone would be fetched by the server
        return url
    return next((f for v in payload.values() if (f := _foreign_file(v, depth + 1)) is not None), None)


def _event_route(path: str) -> tuple[str | None, bool] | None:
    """For a POST that submits a page event (call/NAME, call/v2/NAME, run/NAME, queue/join): (NAME or None,
    whether it takes named parameters); None for every other route."""
    if not path.startswith("/gradio_api/"):
        return None
    rest = path[len("/gradio_api/"):].strip("/").split("/")
    if rest[0] in ("call", "run", "api") and len(rest) >= 2:
        v2 = len(rest) > 2 and rest[1] == "v2"
        return (rest[2] if v2 else rest[1]), v2
    return (None, False) if rest == ["queue", "join"] else None


def _parameter_names(fn) -> list[str]:
    import inspect

    try:
        return [p for p in inspect.signature(fn.fn).parameters if p not in ("progress", "request")]
    except (TypeError, ValueError):
        return []


def _body_limit(path: str, upload_mb: float = MAX_UPLOAD_MB) -> int | None:
    if path.startswith("/gradio_api/upload"):
        return int(upload_mb * 2**20) + 64 * 1024  # the file and its multipart envelope
    if path.rstrip("/") == "/api/ask/batch":
        return MAX_BATCH_BODY
    if path.startswith(("/api/", "/gradio_api/", "/mcp")) or path.rstrip("/").endswith("/login"):
        return MAX_BODY
    return None


async def _read_body(receive, limit: int) -> tuple[bytes | None, object]:
    """The whole body (None past ``limit`` bytes), and a ``receive`` that replays it to the app."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None, receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _json(send, status: int, message: str, headers: list | None = None) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
