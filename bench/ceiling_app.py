"""The ceiling: a minimal Flask app answering every request with a fixed body.

Served by the benchmark under the same gunicorn settings as `shownotes serve --prod`, with
bodies of the same byte size as the real answers (`CEILING_JSON_BYTES` for `/api/...` paths,
`CEILING_HTML_BYTES` for the others), so its throughput is what any Python app can reach here.
"""

from __future__ import annotations

import os

from flask import Flask, Response


def fixed_json(size: int) -> bytes:
    """A valid JSON document of exactly `size` bytes (at least 16)."""
    head, tail = b'{"padding":"', b'"}'
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


def fixed_html(size: int) -> bytes:
    head, tail = b"<!doctype html><title>ceiling</title><p>", b"</p>\n"
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


JSON_BODY = fixed_json(int(os.environ.get("CEILING_JSON_BYTES", "16384")))
HTML_BODY = fixed_html(int(os.environ.get("CEILING_HTML_BYTES", "16384")))

app = Flask(__name__)


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def answer(path: str) -> Response:
    if path.startswith("api/"):
        return Response(JSON_BODY, mimetype="application/json")
    return Response(HTML_BODY, mimetype="text/html")
