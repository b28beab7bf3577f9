"""Rules of the curriculum: load the official occupation data shipped in curriculum/data/."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from leokop.curriculum.tables import Occupation

DATA_DIR = Path(__file__).parent / "data"


def occupation_files() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(DATA_DIR.glob("*.json"))}


@functools.cache
def learning_fields(slug: str) -> tuple[tuple[str, str], ...]:
    """(number, title) of each Lernfeld of an occupation, in the order of its Rahmenlehrplan; empty
    for an unknown slug. Read once per process: the files ship with the code."""
    path = DATA_DIR / f"{slug}.json"
    if "/" in slug or not path.is_file():
        return ()
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple((field["number"], field["title"]) for field in data.get("learning_fields", []))


async def load_occupations() -> int:
    """Insert or update every shipped occupation (idempotent); returns how many there are."""
    files = occupation_files()
    existing = {r["slug"]: r["id"] for r in await Occupation.select(Occupation.id, Occupation.slug)}
    for slug, data in files.items():
        values = {
            Occupation.name: data["name"],
            Occupation.name_neutral: data["name_neutral"],
            Occupation.regulation: data["regulation"]["title"][:300],
            Occupation.duration_months: int(data["regulation"]["duration_months"]),
        }
        if slug in existing:
            await Occupation.update(values).where(Occupation.id == existing[slug])
        else:
            await Occupation.insert(Occupation(slug=slug, **{c._meta.name: v for c, v in values.items()}))
    return len(files)
