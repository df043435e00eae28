"""Whoosh storage that maps each compound segment file once and shares the mapping.

Whoosh's own mmap path copies every file of a compound segment (`BufferFile` wraps the
slice in a `BytesIO`), so each searcher, one per serving thread, held a private copy of the
postings: about 50 MB per thread at 10,000 episodes. Here every reader of a generation
reads the same read-only mapping; its pages are the kernel's page cache, shared by the
threads and by the workers. Each reader still gets its own file object, because Whoosh
reads postings with `seek` + `read`; the mapping is only ever sliced, which is safe across
threads and exports no buffer, so it can always be closed.
"""

from __future__ import annotations

import mmap
import os
import threading
from array import array
from sys import byteorder
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import FileIndex

_COMPOUND_SUFFIX = ".seg"
_LITTLE_ENDIAN = byteorder == "little"


class _Window:
    """A read-only file over part of a mapping, with a position of its own."""

    def __init__(self, source: mmap.mmap, start: int, length: int) -> None:
        self._source = source
        self._start = start
        self._end = start + length
        self._pos = start

    def read(self, size: int = -1) -> bytes:
        pos = self._pos
        end = self._end if size is None or size < 0 else min(self._end, pos + size)
        self._pos = max(pos, end)
        return self._source[pos:end]

    def readline(self, size: int = -1) -> bytes:
        newline = self._source.find(b"\n", self._pos, self._end)
        line = -1 if newline < 0 else newline + 1 - self._pos
        return self.read(line if size is None or size < 0 or 0 <= line < size else size)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            offset += self._pos - self._start
        elif whence == os.SEEK_END:
            offset += self._end - self._start
        if offset < 0:  # as `BytesIO` does, which Whoosh otherwise reads through
            if whence == os.SEEK_SET:
                raise ValueError(f"negative seek value {offset}")
            offset = 0
        self._pos = self._start + offset
        return offset

    def tell(self) -> int:
        return self._pos - self._start

    def close(self) -> None:
        pass  # the mapping belongs to the storage


class MappedFile(StructFile):
    """A `StructFile` reading a window of a shared mapping; `get` never moves the position."""

    def __init__(self, source: mmap.mmap, start: int, length: int, name: str | None) -> None:
        super().__init__(_Window(source, start, length), name=name)  # type: ignore[arg-type]
        self._source = source
        self._start = start
        self._length = length

    def subset(self, offset: int, length: int, name: str | None = None) -> MappedFile:
        return MappedFile(self._source, self._start + offset, length, name or self._name)

    def get(self, position: int, length: int) -> bytes:
        start = self._start + position
        return self._source[start : start + length]

    def get_array(self, position: int, typecode: str, length: int) -> array[Any]:
        values = array(typecode)
        values.frombytes(self.get(position, length * values.itemsize))
        if _LITTLE_ENDIAN:
            values.byteswap()  # Whoosh stores arrays big-endian
        return values


class SharedMapStorage(FileStorage):
    """A read-only `FileStorage` whose compound segment files are mapped once, for all readers.

    `close()` unmaps them: call it only when every reader opened through it is done.
    """

    def __init__(self, path: str) -> None:
        # supports_mmap=False makes Whoosh open segment parts through `subset`, not a copy.
        FileStorage.__init__(self, path, supports_mmap=False, readonly=True)
        self._maps: dict[str, mmap.mmap] = {}
        self._maps_lock = threading.Lock()

    def open_file(self, name: str, **kwargs: object) -> StructFile:  # noqa: ARG002
        if not name.endswith(_COMPOUND_SUFFIX):
            return StructFile(open(os.path.join(self.folder, name), "rb"), name=name)
        with self._maps_lock:
            source = self._maps.get(name)
            if source is None:
                with open(os.path.join(self.folder, name), "rb") as handle:
                    source = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                self._maps[name] = source
        return MappedFile(source, 0, len(source), name)

    def open_index(self) -> FileIndex:  # type: ignore[override]
        return FileIndex(self)

    def release_pages(self) -> None:
        """Drop the mapped pages from this process (they stay in the page cache).

        Opening reads every stored document once; without this those pages would count as
        the process's resident memory until the generation is closed.
        """
        with self._maps_lock:
            for source in self._maps.values():
                source.madvise(mmap.MADV_DONTNEED)

    def close(self) -> None:
        with self._maps_lock:
            for source in self._maps.values():
                source.close()
            self._maps.clear()
