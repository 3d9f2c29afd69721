"""Record graphite-web 1.1.10's answers to the golden cases (a developer tool, not a test).

Run with a Python that has graphite-web 1.1.10 and whisper 1.1.10 installed, e.g.
    python3 -m venv /tmp/gw-venv && /tmp/gw-venv/bin/pip install graphite-web==1.1.10 whisper==1.1.10
    /tmp/gw-venv/bin/python tests/golden/record.py
It writes the data set into whisper files under a temporary STORAGE_DIR, renders every case
through graphite-web's own Django views with `now` pinned, and stores status, content type
and body in tests/golden/graphite_web.json.  The test runner replays the same requests
against Strata fed the same points.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.golden import cases, dataset  # noqa: E402


def setup_graphite(root: str):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "graphite.settings")
    os.environ["GRAPHITE_STORAGE_DIR"] = root
    os.makedirs(f"{root}/whisper", exist_ok=True)
    os.makedirs(f"{root}/log/webapp", exist_ok=True)
    import django
    from django.conf import settings
    django.setup()
    settings.STORAGE_DIR = root
    settings.WHISPER_DIR = f"{root}/whisper"
    settings.STANDARD_DIRS = [settings.WHISPER_DIR]
    settings.LOG_DIR = f"{root}/log/webapp"
    settings.ALLOWED_HOSTS = ["*"]
    from django.core.management import call_command
    call_command("migrate", run_syncdb=True, verbosity=0)   # treejson looks up a user profile
    from django.test import Client
    return Client(raise_request_exception=False), settings.WHISPER_DIR


def write_whisper(whisper_dir: str, now: int) -> None:
    import whisper
    for name, pts in dataset.points(now).items():
        path = os.path.join(whisper_dir, *name.split(".")) + ".wsp"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        whisper.create(path, dataset.WHISPER_ARCHIVES, xFilesFactor=dataset.XFF, aggregationMethod="average")
        whisper.update_many(path, pts)


def answer(response) -> dict:
    ctype = response.get("Content-Type", "")
    out = {"status": response.status_code, "content_type": ctype}
    body = response.content
    if "pickle" in ctype:
        out["body_data"] = _plain(pickle.loads(body))
    elif "msgpack" in ctype:
        import msgpack
        out["body_data"] = msgpack.unpackb(body, raw=False)
    else:
        try:
            out["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            out["body_b64"] = base64.b64encode(body).decode()
    return out


def _plain(obj):
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def main() -> None:
    root = tempfile.mkdtemp(prefix="strata-golden-")
    client, whisper_dir = setup_graphite(root)
    now = int(time.time())
    now -= now % 60
    write_whisper(whisper_dir, now)
    record = {"graphite_web": "1.1.10", "now": now, "render": [], "find": []}
    for params in cases.render_cases():
        q = dict(params, now=str(now))
        record["render"].append({"params": params, **answer(client.get("/render", q))})
    for params in cases.find_cases():
        record["find"].append({"params": params, **answer(client.get("/metrics/find", params))})
    out = HERE / "graphite_web.json"
    out.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(record['render'])} render and {len(record['find'])} find cases into {out}")


if __name__ == "__main__":
    main()
