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
