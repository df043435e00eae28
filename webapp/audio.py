"""Audio files from AUDIO_DIR, with Range support so players can seek (off unless configured)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, send_from_directory

bp = Blueprint("audio", __name__)


@bp.get("/audio/<path:filename>")
def file(filename: str) -> Response:
    folder = current_app.config["AUDIO_DIR"]
    if not folder:
        abort(404)
    # send_from_directory refuses paths leaving the folder; conditional=True answers Range.
    return send_from_directory(folder, filename, conditional=True, max_age=86_400)
