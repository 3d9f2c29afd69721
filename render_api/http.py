"""twisted.web front of the Graphite HTTP API: routing, parameters, threads, bytes.

What: one resource that maps graphite-web's URLs to the handlers, merges query-string and
body parameters (form-encoded, multipart or a JSON object, as Grafana sends), runs the
handler and writes its Response.  Where the handler runs: in the server process, in a
bounded thread pool, because the reactor thread also reads the Carbon sockets and a slow
dashboard must never hold it; in a render process (threads=0), on the reactor thread
itself, one query at a time as a graphite-web worker runs them: that process reads no
other socket, its siblings take the connections that come meanwhile, and a small render
would otherwise spend a good part of its time on the hand-off to a thread and back.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from twisted.internet.defer import maybeDeferred
from twisted.internet.interfaces import IPullProducer
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site
from zope.interface import implementer

from . import handlers, tags
from .handlers import Params, RenderLimits, Response
from .storage import StoreReader

log = logging.getLogger("strata.http")


class GraphiteApi(Resource):
    isLeaf = True

    def __init__(self, reader: StoreReader, limits: RenderLimits, reactor, threads: int = 4,
                 tz: ZoneInfo | None = None, admin_token: str = ""):
        super().__init__()
        self.reader, self.limits, self.reactor = reader, limits, reactor
        self.admin_token = admin_token       # render.admin_token, for /tags/delSeries
        self.tz = tz or ZoneInfo("UTC")
        self.pool = ThreadPool(minthreads=1, maxthreads=threads, name="strata-render") if threads else None

    def start(self) -> None:
        if self.pool is not None:
            self.pool.start()

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.stop()

    def route(self, path: str, accept: str | None = None, method: str = "GET",
              authorization: str | None = None):
        """The handler call for a URL path, or None (404)."""
        path = path.rstrip("/") or "/"
        if path == "/tags" or path.startswith("/tags/"):
            return lambda p: tags.handle(path, method, p, self.reader.store, self.admin_token,
                                         authorization)
        if path == "/render":
            return lambda p: handlers.render(p, self.reader, self.limits, time.time(), self.tz)
        if path in ("/metrics/find", "/metrics"):
            return lambda p: handlers.find(p, self.reader, accept)
        if path == "/metrics/expand":
            return lambda p: handlers.expand(p, self.reader)
        if path == "/metrics/index.json":
            return lambda p: handlers.index_json(p, self.reader)
        if path == "/functions":
            return lambda p: handlers.functions(p)
        if path.startswith("/functions/"):
            name = path[len("/functions/"):]
            return lambda p: handlers.functions(p, name)
        if path == "/version":
            return lambda p: handlers.version()
        return None

    def render(self, request):
        path = request.path.decode("utf-8", "replace")
        accept = request.getHeader(b"accept")
        auth = request.getHeader(b"authorization")
        call = self.route(path, accept.decode("latin-1") if isinstance(accept, bytes) else accept,
                          request.method.decode("latin-1"), _text(auth) if auth else None)
        if call is None:
            self._write(request, handlers.json_error(404, f"no such endpoint: {path}"))
            return NOT_DONE_YET
        if path.rstrip("/").startswith("/functions") and request.method not in (b"GET", b"HEAD"):
            self._write(request, handlers.json_error(405, "method not allowed"))
            return NOT_DONE_YET
        try:
            params = request_params(request)
        except ValueError as exc:
            self._write(request, handlers.json_error(400, f"unreadable request body: {exc}"))
            return NOT_DONE_YET
        started = time.monotonic()
        if self.pool is None:
            d = maybeDeferred(call, params)
        else:
            d = deferToThreadPool(self.reactor, self.pool, _with_pieces_listed, call, params)
        d.addCallback(self._done, request, path, started)
        d.addErrback(self._failed, request, path)
        return NOT_DONE_YET

    def _done(self, response: Response, request, path: str, started: float) -> None:
        log.debug("%s %s %d in %.1f ms", request.method.decode(), path, response.status,
                  (time.monotonic() - started) * 1000)
        self._write(request, response)

    def _failed(self, failure, request, path: str) -> None:
        log.error("%s failed: %s", path, failure.getErrorMessage(), exc_info=failure.value)
        self._write(request, handlers.json_error(500, failure.getErrorMessage()))

    @staticmethod
    def _write(request, response: Response) -> None:
        if request._disconnected or request.finished:
            return
        request.setResponseCode(response.status)
        request.setHeader(b"Content-Type", response.content_type.encode())
        for k, v in response.headers.items():
            request.setHeader(k.encode(), v.encode())
        if isinstance(response.body, bytes):
            request.write(response.body)
            request.finish()
            return
        pieces = iter(response.body)
        first, more = _first_pieces(pieces, _Pieces.JOIN_UP_TO)
        request.write(b"".join(first))
        if more:
            request.registerProducer(_Pieces(request, pieces), False)
        else:
            request.finish()            # that was all of it


def _with_pieces_listed(call, params: Params) -> Response:
    """`call(params)` with a body of pieces produced here, in the query's thread: on the
    server's reactor thread they would hold up the Carbon receivers."""
    response = call(params)
    if not isinstance(response.body, bytes):
        response.body = list(response.body)
    return response


def _first_pieces(pieces: Iterator[bytes], size: int) -> tuple[list[bytes], bool]:
    """Pieces taken from `pieces` until they hold more than `size` bytes, and whether
    `pieces` may hold more (False: they ran out first)."""
    taken, held = [], 0
    for piece in pieces:
        taken.append(piece)
        held += len(piece)
        if held > size:
            return taken, True
    return taken, False


@implementer(IPullProducer)
class _Pieces:
    """Writes the rest of a body one piece per turn, taking each from its iterator only
    when the connection has drained, and finishes the request after the last.

    Why: a json body is written a series at a time as the client reads, so a big one is
    never held whole (nor joined by Twisted into one send buffer, page by page) and its
    first bytes are on their way while the rest is being written. One write a turn,
    because a transport pauses its producer once per write that finds its buffer full and
    resumes it once. A body of at most `JOIN_UP_TO` bytes is joined and written at once:
    the producer's first turn would wait for the reactor's next one."""

    JOIN_UP_TO = 1 << 20

    def __init__(self, request, pieces: Iterator[bytes]):
        self._request = request
        self._pieces: Iterator[bytes] | None = pieces

    def resumeProducing(self) -> None:
        if self._pieces is None:
            return
        try:
            piece = next(self._pieces, None)
        except Exception as exc:        # the status line is out: all that is left is to cut
            log.error("response body failed after its first bytes: %s", exc)
            self._end()
            self._request.loseConnection()
            return
        if piece is None:
            self._end()
            self._request.finish()
        else:
            self._request.write(piece)

    def stopProducing(self) -> None:
        self._pieces = None         # the client went away: write no more

    def _end(self) -> None:
        self._pieces = None
        self._request.unregisterProducer()


def request_params(request) -> Params:
    """GET and POST parameters merged (lists append), including a JSON object body."""
    params: Params = {}
    for key, values in (request.args or {}).items():
        params.setdefault(_text(key), []).extend(_text(v) for v in values)
    ctype = _text(request.getHeader(b"content-type") or b"").split(";")[0].strip().lower()
    if request.method == b"POST" and ctype == "application/json":
        body = request.content.read()
        if body.strip():
            for key, value in _json_object(body).items():
                values = value if isinstance(value, list) else [value]
                params.setdefault(key, []).extend(str(v) for v in values)
    elif request.method == b"POST" and not ctype and request.content is not None:
        # a body without a content type: read it as a form (some clients send query=... bare)
        body = request.content.read().decode("utf-8", "replace")
        for key, values in parse_qs(body, keep_blank_values=True).items():
            params.setdefault(key, []).extend(values)
    return params


def _json_object(body: bytes) -> dict:
    obj = json.loads(body)
    if not isinstance(obj, dict):
        raise ValueError("a JSON body must be an object")
    return obj


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class _QuietSite(Site):
    """No access log line per request (a dashboard refresh is dozens); requests are
    logged at DEBUG by the API, errors at ERROR."""

    noisy = False
    displayTracebacks = False

    def log(self, request) -> None:
        pass


def make_site(api: GraphiteApi) -> Site:
    return _QuietSite(api)
