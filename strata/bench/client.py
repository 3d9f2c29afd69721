"""The Graphite HTTP API as the bench uses it: batched /render counts, timed requests.

What: `count_points` posts up to `batch` targets per /render?format=json request and
returns how many non-null points each series holds in a window; `timed_get` times one
request end to end (connect, server time, body read).  Why POST: a hundred long names do
not fit a request line everywhere, and graphite-web and Strata both read form bodies.
Works against any endpoint that speaks graphite-web's API.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

RENDER_BATCH = 100               # targets per /render request when counting
TIMEOUT = 60.0                   # seconds one request may take


class RenderError(Exception):
    """The render endpoint answered with an error or something that is not graphite JSON."""


def render_target(name: str) -> str:
    """A series name as a render target: tag '=' escaped as graphite-web's grammar requires."""
    return name.replace("=", "\\=") if ";" in name else name


def post(url: str, fields: list[tuple[str, str]], timeout: float = TIMEOUT) -> bytes:
    body = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.read()
    except urllib.error.HTTPError as exc:
        raise RenderError(f"{url}: HTTP {exc.code}: {exc.read()[:200]!r}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RenderError(f"{url}: {exc}") from None


def count_points(render_url: str, names: list[str], t_from: int, t_until: int,
                 batch: int = RENDER_BATCH) -> dict[str, int]:
    """Non-null points per series with timestamps in [t_from, t_until]; 0 for a missing series."""
    counts = dict.fromkeys(names, 0)
    for a in range(0, len(names), batch):
        part = names[a:a + batch]
        fields = [("target", render_target(n)) for n in part]
        fields += [("from", str(t_from - 1)), ("until", str(t_until)), ("format", "json")]
        raw = post(render_url + "/render", fields)
        try:
            doc = json.loads(raw)
        except ValueError:
            raise RenderError(f"{render_url}/render: not JSON: {raw[:200]!r}") from None
        for s in doc:
            name = s.get("target")
            if name in counts:
                counts[name] = sum(1 for v, ts in s["datapoints"]
                                   if v is not None and t_from <= ts <= t_until)
    return counts


def timed_get(url: str, params: dict, timeout: float = TIMEOUT) -> tuple[float, int, int]:
    """(seconds, HTTP status, body bytes) of one GET; status 0 when the connection failed."""
    full = url + "?" + urllib.parse.urlencode(params)
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(full, timeout=timeout) as r:
            body = r.read()
            return time.perf_counter() - t, r.status, len(body)
    except urllib.error.HTTPError as exc:
        return time.perf_counter() - t, exc.code, 0
    except (urllib.error.URLError, OSError):
        return time.perf_counter() - t, 0, 0
