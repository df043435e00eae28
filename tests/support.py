"""Helpers shared by the indexer tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
RIP = CORPUS / "runninginproduction"
SEED = CORPUS / "seed" / "000_5e0fc66f6317d5f1.txt"
CORPUS_MISSING = f"the shared corpus is not at {CORPUS} (it sits beside the checkout in CI)"


def episode_text(
    title: str = "An Episode",
    *,
    tags: tuple[str, ...] = ("python",),
    guest: str = "Sam Example",
    duration: str = "30:00",
    topics: tuple[str, ...] = ("1:00 -- Hello", "2:00 -- Goodbye"),
    libraries: tuple[str, ...] = (),
) -> str:
    """A small episode file in the current format."""
    lines = [
        "---",
        f'mp3_duration: "{duration}"',
        f'guest: "{guest}"',
        'category: "podcast"',
        "tags:",
        *[f'  - "{tag}"' for tag in tags],
        f'title: "{title}"',
        "---",
        "",
        "An intro paragraph.",
        "",
        "## Topics Include",
        "",
        *[f"- {topic}" for topic in topics],
    ]
    if libraries:
        lines += [
            "",
            "## Links",
            "",
            "###### 🛠 Libraries Used",
            "",
            *[f"- <{u}>" for u in libraries],
        ]
    return "\n".join(lines) + "\n"


def write_episode(folder: Path, name: str, text: str | None = None, **fields: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text if text is not None else episode_text(**fields), encoding="utf-8")  # type: ignore[arg-type]
    return path
