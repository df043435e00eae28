"""How dates, durations and counts read on the page; registered as Jinja filters."""

from __future__ import annotations

import datetime as dt

from flask import Flask


def date(value: dt.date | None) -> str:
    """`10 Nov 2019`."""
    return f"{value.day} {value:%b %Y}" if value else ""


def duration(seconds: int | None) -> str:
    """`50 min`, `1 h 4 min`."""
    if seconds is None:
        return ""
    minutes = max(1, round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 episode`, `3 episodes`."""
    word = singular if count == 1 else plural_form or f"{singular}s"
    return f"{count:,} {word}"


def init_app(app: Flask) -> None:
    app.add_template_filter(date, "date")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(plural, "plural")
