"""shownotes indexer: episode files in, a Whoosh index and search answers out.

The only package that imports whoosh. The web app and the command line use what is here:

    build_index(index_dir, Sources(...))      -> BuildReport
    SearchIndex(index_dir).search(request)     -> SearchResult
    knowledge(generation, "tag", "docker")     -> Knowledge
"""

from __future__ import annotations

from . import querylog
from .admission import CostlyGate
from .build import BuildReport, Sources, build_index
from .catalog import FACETS, Catalog
from .errors import (
    IndexBusy,
    IndexCorrupt,
    IndexError_,
    NoIndex,
    NotFound,
    NothingToIndex,
    Overloaded,
    ParameterError,
    ParseError,
    QueryError,
    ShownotesError,
)
from .models import Episode, Guest, Library, Link, Segment, SiteConfig, TagInfo, format_timestamp
from .pages import (
    Count,
    Knowledge,
    Overview,
    all_values,
    knowledge,
    neighbours,
    overview,
    related,
)
from .parser import load_episode, parse_episode
from .search import (
    EpisodeHit,
    FacetValue,
    Generation,
    SearchIndex,
    SearchRequest,
    SearchResult,
    SegmentHit,
)

__all__ = [
    "FACETS",
    "BuildReport",
    "Catalog",
    "CostlyGate",
    "Count",
    "Episode",
    "EpisodeHit",
    "FacetValue",
    "Generation",
    "Guest",
    "IndexBusy",
    "IndexCorrupt",
    "IndexError_",
    "Knowledge",
    "Library",
    "Link",
    "NoIndex",
    "NotFound",
    "ParameterError",
    "NothingToIndex",
    "Overloaded",
    "Overview",
    "ParseError",
    "QueryError",
    "SearchIndex",
    "SearchRequest",
    "SearchResult",
    "Segment",
    "SegmentHit",
    "ShownotesError",
    "SiteConfig",
    "Sources",
    "TagInfo",
    "all_values",
    "build_index",
    "format_timestamp",
    "knowledge",
    "load_episode",
    "neighbours",
    "overview",
    "parse_episode",
    "querylog",
    "related",
]
