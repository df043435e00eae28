"""The app for gunicorn: `gunicorn webapp.wsgi:app` (what `shownotes serve --prod` runs)."""

from __future__ import annotations

from . import create_app

app = create_app()
