"""render_api.http: where a query runs, and how parameters reach it (no socket)."""

import json
import threading

from twisted.web.test.requesthelper import DummyRequest

from render_api.handlers import RenderLimits, Response
from render_api.http import GraphiteApi
from render_api.storage import StoreReader


class _Recording(GraphiteApi):
    """The API with /version answered by a probe that notes its thread and parameters."""

    def route(self, path, accept=None, method="GET", authorization=None):
        def probe(params):
            self.seen = (threading.current_thread(), params)
            return Response(200, json.dumps(params).encode(), "application/json")
        return probe if path == "/version" else None


def _get(api, path: bytes, args: dict) -> DummyRequest:
    request = DummyRequest(path.split(b"/")[1:])
    request.path, request.args = path, args
    request._disconnected = False       # as twisted.web's Request has it
    api.render(request)
    return request


def test_without_threads_a_query_runs_on_the_calling_thread_and_is_answered_at_once():
    api = _Recording(StoreReader(None, 10), RenderLimits(), reactor=None, threads=0)
    api.start()
    request = _get(api, b"/version", {b"target": [b"a.b"], b"from": [b"-1h"]})
    assert api.pool is None
    assert api.seen[0] is threading.current_thread()
    assert request.finished and request.responseCode == 200
    assert json.loads(b"".join(request.written)) == {"target": ["a.b"], "from": ["-1h"]}
    api.stop()


def test_an_unknown_path_is_a_json_404_whether_or_not_threads_run_queries():
    for threads in (0, 2):
        api = _Recording(StoreReader(None, 10), RenderLimits(), reactor=None, threads=threads)
        request = _get(api, b"/nowhere", {})
        assert request.responseCode == 404
        assert json.loads(b"".join(request.written)) == {"error": "no such endpoint: /nowhere"}


class _Pieces(GraphiteApi):
    """The API with /version answered by a body of several pieces."""

    pieces = [b"a" * (1 << 20), b"b" * 10, b"c" * (1 << 20), b"d"]

    def route(self, path, accept=None, method="GET", authorization=None):
        return lambda params: Response(200, list(self.pieces), "application/json")


class _Consumer:
    """A request that records writes and lets the test pull its producer."""

    def __init__(self):
        self.written, self.finished, self.producer, self._disconnected = [], False, None, False

    def setResponseCode(self, code):
        self.code = code

    def setHeader(self, name, value):
        pass

    def write(self, data):
        assert isinstance(data, bytes)          # a transport refuses anything else
        self.written.append(data)

    def registerProducer(self, producer, streaming):
        assert not streaming
        self.producer = producer

    def unregisterProducer(self):
        self.producer = None

    def finish(self):
        self.finished = True


def test_a_small_body_of_pieces_is_written_at_once():
    request = _Consumer()
    GraphiteApi._write(request, Response(200, iter([b"[", b"{}", b"]"]), "application/json"))
    assert request.written == [b"[{}]"] and request.finished and request.producer is None


def _counted(pieces: list[bytes], taken: list):
    for piece in pieces:
        taken.append(piece)
        yield piece


def test_a_body_of_pieces_is_taken_and_written_only_as_the_connection_drains():
    request, taken = _Consumer(), []
    a, b, c, d = _Pieces.pieces
    GraphiteApi._write(request, Response(200, _counted(_Pieces.pieces, taken), "application/json"))
    assert request.written == [a + b] and taken == [a, b]       # the first MiB goes at once
    producer = request.producer
    producer.resumeProducing()                                  # then one piece a turn
    assert request.written == [a + b, c] and taken == [a, b, c]
    producer.resumeProducing()
    assert request.written == [a + b, c, d] and not request.finished
    producer.resumeProducing()
    assert request.finished and request.producer is None


def test_a_client_gone_mid_body_gets_no_more_pieces():
    request, taken = _Consumer(), []
    GraphiteApi._write(request, Response(200, _counted(_Pieces.pieces, taken), "application/json"))
    producer = request.producer
    producer.stopProducing()
    producer.resumeProducing()
    assert len(request.written) == 1 and len(taken) == 2 and not request.finished


def test_a_body_that_fails_after_its_first_bytes_cuts_the_connection():
    def failing():
        yield b"x" * (2 << 20)
        raise ValueError("boom")
    request = _Consumer()
    request.loseConnection = lambda: setattr(request, "lost", True)
    GraphiteApi._write(request, Response(200, failing(), "application/json"))
    request.producer.resumeProducing()
    assert request.lost and not request.finished and request.producer is None


def test_with_threads_the_pieces_are_produced_in_the_query_thread():
    from render_api.http import _with_pieces_listed
    taken = []
    response = _with_pieces_listed(lambda p: Response(200, _counted([b"a", b"b"], taken), "x"), {})
    assert response.body == [b"a", b"b"] and taken == [b"a", b"b"]


_BIG_BODY_SERVER = """
import sys
from twisted.internet import reactor
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site
from render_api.handlers import Response
from render_api.http import GraphiteApi

class Big(Resource):
    isLeaf = True
    def render_GET(self, request):
        pieces = [bytes([65 + i % 26]) * 250_000 for i in range(40)]
        GraphiteApi._write(request, Response(200, iter(pieces), "application/json"))
        return NOT_DONE_YET
port = reactor.listenTCP(0, Site(Big()), interface="127.0.0.1")
print(port.getHost().port, flush=True)
reactor.callLater(60, reactor.stop)
reactor.run()
"""


def test_a_big_body_of_pieces_reaches_an_http_client_whole():
    # A real transport pauses the producer whenever its buffer is full (a pull producer that
    # wrote twice a turn was paused twice, resumed once, and stalled after the first MB).
    import http.client
    import subprocess
    import sys
    server = subprocess.Popen([sys.executable, "-c", _BIG_BODY_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", int(server.stdout.readline()), timeout=20)
        conn.request("GET", "/")
        body = conn.getresponse().read()
    finally:
        server.kill()
        server.wait()
    assert body == b"".join(bytes([65 + i % 26]) * 250_000 for i in range(40))


def test_a_body_of_pieces_reaches_a_twisted_request_whole():
    api = _Pieces(StoreReader(None, 10), RenderLimits(), reactor=None, threads=0)
    request = _get(api, b"/version", {})
    assert request.finished and b"".join(request.written) == b"".join(_Pieces.pieces)
