"""Every failure as a proper answer: JSON `{"error": {...}}` for the API, a page otherwise.

Nothing a client sends may produce a 500, so the indexer's own errors map to 4xx/503 here and
anything unexpected is logged and answered with a plain 500 page carrying the usual headers.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer import IndexError_, NoIndex, NotFound, Overloaded, QueryError, ShownotesError


class ClientError(Exception):
    """A request the app refuses before asking the indexer (a bad parameter)."""

    def __init__(self, message: str, *, code: str = "invalid_parameter", status: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def wants_json() -> bool:
    path = request.path
    return path.startswith("/api/") or path.endswith(".json") or path == "/healthz"


def error_response(status: int, code: str, message: str, *, title: str | None = None) -> Response:
    if wants_json():
        response = jsonify(error={"code": code, "message": message})
    else:
        page = render_template(
            "error.html",
            status=status,
            code=code,
            title=title or _TITLES.get(status, "Something went wrong"),
            message=message,
            index_dir=current_app.config["INDEX_DIR"],
        )
        response = Response(page, mimetype="text/html")
    response.status_code = status
    return response


_TITLES = {
    400: "That request cannot be answered",
    404: "Not found",
    405: "Method not allowed",
    414: "That request is too long",
    500: "Something went wrong",
    503: "The index is not available",
}


def _client_error(exc: ClientError) -> Response:
    return error_response(exc.status, exc.code, exc.message)


def _indexer_error(exc: ShownotesError) -> Response:
    if isinstance(exc, QueryError):
        return error_response(400, "invalid_query", str(exc))
    if isinstance(exc, NotFound):
        return error_response(404, "not_found", str(exc))
    if isinstance(exc, Overloaded):
        return busy(exc, error_response(503, "busy", str(exc), title="Too busy for that search"))
    if isinstance(exc, NoIndex):
        return error_response(503, "no_index", str(exc), title="No index yet")
    if isinstance(exc, IndexError_):
        current_app.logger.error("index unavailable: %s", exc)
        return error_response(503, "index_unavailable", str(exc))
    return _unexpected(exc)


def busy(exc: Overloaded, response: Response) -> Response:
    """A refusal for now, with when to try again (clients and proxies honour Retry-After)."""
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = (exc.name or "error").lower().replace(" ", "_")
    return error_response(status, code, exc.description or exc.name or "error")


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("unhandled error: %s", exc)
    return error_response(500, "internal_error", "The server failed to answer this request.")


def init_app(app: Flask) -> None:
    app.register_error_handler(ClientError, _client_error)
    app.register_error_handler(ShownotesError, _indexer_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
