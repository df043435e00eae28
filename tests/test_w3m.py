"""The web app in a terminal browser: `w3m -dump` of pages from the live server.

No CSS, no JavaScript: what is left must still be the results, their moments with links that
play from them, and the show notes.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from browser_support import LiveServer, executable
from webtools import BAKERY

REDIS_MOMENT = 734  # episode 1's "12:14 Using Redis as both the Celery broker and ..."


@pytest.fixture(scope="module")
def w3m() -> str:
    return executable("w3m")


def dump(w3m: str, url: str, home: Path) -> tuple[str, dict[int, str]]:
    """The page as w3m shows it, and its numbered links (`[n]` in the text) by number."""
    # A HOME of its own (w3m keeps history and cookies there) and no proxy between it and us.
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(HOME=str(home), LANG="C.UTF-8", no_proxy="*")
    command = [w3m, "-dump", "-o", "display_link_number=1", "-O", "UTF-8", "-cols", "120", url]
    done = subprocess.run(command, capture_output=True, env=env, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8")
    body, _, references = text.partition("\nReferences:\n")
    links = {
        int(number): target
        for number, target in re.findall(r"^\[(\d+)\] (\S+)$", references, flags=re.MULTILINE)
    }
    assert links, text
    return body, links


def test_search_results_and_their_moments(
    w3m: str, live_server: LiveServer, tmp_path: Path
) -> None:
    text, links = dump(w3m, live_server("/search?q=redis"), tmp_path)

    assert re.search(r"\d+ episodes match “redis”", text)
    # A result: its title, then a numbered moment whose link plays from that second.
    title = re.search(r"\[(\d+)\]Pre-Ordering Croissants on a Single Droplet", text)
    moment = re.search(r"\[(\d+)\]12:14 Using Redis as both the Celery broker", text)
    assert title and moment, text
    assert links[int(title[1])] == live_server(BAKERY)
    assert links[int(moment[1])] == live_server(f"{BAKERY}?t={REDIS_MOMENT}#at-{REDIS_MOMENT}")
    # The facets are plain links, each a search with that filter.
    celery = re.search(r"\[(\d+)\]celery \d+", text)
    assert celery, text
    assert links[int(celery[1])] == live_server("/search?q=redis&tag=celery")


def test_episode_page_shows_the_show_notes(
    w3m: str, live_server: LiveServer, tmp_path: Path
) -> None:
    text, links = dump(w3m, live_server(BAKERY), tmp_path)

    assert "Pre-Ordering Croissants on a Single Droplet" in text
    assert "Inès Márquez walks through the Flask app" in text  # the description
    assert "Everything runs on one modest" in text  # the intro, rendered from markdown
    notes = text[text.index("Show notes") :]
    moment = re.search(r"\[(\d+)\]1:42 How a family bakery in Valencia", notes)
    last = re.search(r"\[(\d+)\]41:05 Best advice: write down your restore procedure", notes)
    assert moment and last, notes
    assert links[int(moment[1])] == live_server(f"{BAKERY}?t=102#at-102")


def test_moment_page_offers_the_audio_from_that_moment(
    w3m: str, live_server: LiveServer, tmp_path: Path
) -> None:
    # w3m plays no audio: the player's fallback link is what it shows, cut to the moment.
    text, links = dump(w3m, live_server(f"{BAKERY}?t={REDIS_MOMENT}"), tmp_path)

    download = re.search(r"\[(\d+)\]Download the episode", text)
    assert download, text
    assert links[int(download[1])] == live_server(
        f"/audio/shipping-it-live-1.mp3#t={REDIS_MOMENT},887"
    )
    assert "Read this moment on the original site" in text
