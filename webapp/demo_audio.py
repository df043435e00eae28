"""Stand-in audio for episodes whose recordings are not at hand (the bundled samples).

An episode whose audio URL is `/demo-audio/<name>` (as the samples' `_config.yml` sets it) gets,
at that URL, a WAV of the episode's length: a soft tick every second and a higher beep on each
minute, so seeking to a moment can be heard and seen. Nothing is stored: any byte range is
computed on request, so players can seek with Range requests as with a real file.
"""

from __future__ import annotations

import io
import math
import struct
from functools import cache

from flask import Blueprint, Response, abort, request
from werkzeug.wsgi import wrap_file

from .index import generation

bp = Blueprint("demo_audio", __name__)

PREFIX = "/demo-audio/"
RATE = 8000  # samples per second, 8-bit mono: 8 kB per second of audio
HEADER_BYTES = 44
SILENCE = 128


@bp.get(f"{PREFIX}<name>")
def audio(name: str) -> Response:
    path = f"{PREFIX}{name}"
    episode = next((e for e in generation().catalog.episodes if e.audio_url == path), None)
    if episode is None or not episode.duration:
        abort(404)
    wav = SyntheticWav(episode.duration)
    body = wrap_file(request.environ, io.BufferedReader(wav))
    response = Response(body, mimetype="audio/wav", direct_passthrough=True)
    response.cache_control.max_age = 86_400
    response.set_etag(f"demo-{episode.duration}")
    # Answers Range requests by seeking the made-up file, as for a real one.
    response.make_conditional(request, accept_ranges=True, complete_length=wav.size)
    return response


class SyntheticWav(io.RawIOBase):
    """A seekable, read-only WAV file of `seconds` length, made up as it is read."""

    def __init__(self, seconds: int) -> None:
        self.data_bytes = seconds * RATE
        self.size = HEADER_BYTES + self.data_bytes
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._bytes(self.position, min(len(buffer), self.size - self.position))
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)

    def _bytes(self, start: int, length: int) -> bytes:
        if length <= 0:
            return b""
        out = bytearray()
        header = _header(self.data_bytes)
        if start < HEADER_BYTES:
            out += header[start : start + length]
        cursor = max(start, HEADER_BYTES) - HEADER_BYTES
        end = start + length - HEADER_BYTES
        while cursor < end:
            second, offset = divmod(cursor, RATE)
            block = _second(minute=second % 60 == 0)
            piece = block[offset : offset + (end - cursor)]
            out += piece
            cursor += len(piece)
        return bytes(out)


def _header(data_bytes: int) -> bytes:
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE, 1, 8)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


@cache
def _second(*, minute: bool) -> bytes:
    """One second of audio: a short tone at its start, silence after."""
    pitch, length, volume = (1320.0, 0.15, 40) if minute else (880.0, 0.03, 18)
    tone = [
        SILENCE + round(volume * math.sin(2 * math.pi * pitch * n / RATE))
        for n in range(int(RATE * length))
    ]
    return bytes(tone) + bytes([SILENCE]) * (RATE - len(tone))
