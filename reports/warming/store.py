"""Reading and writing the figures warmed into the database (StoredFigure)."""

from __future__ import annotations

import pickle
from typing import Any

from reports.warming.models import StoredFigure


def stored(key: str) -> Any | None:
    value = StoredFigure.objects.filter(key=key).values_list("value", flat=True).first()
    return None if value is None else pickle.loads(value)


def store(key: str, generation: int, value: Any) -> None:
    StoredFigure.objects.update_or_create(
        key=key, defaults={"generation": generation, "value": pickle.dumps(value)}
    )


def holds(generation: int) -> bool:
    """Whether figures of this generation are stored."""
    return StoredFigure.objects.filter(generation=generation).exists()


def forget_before(generation: int) -> int:
    """Figures of earlier generations can never be asked for again."""
    removed, _ = StoredFigure.objects.filter(generation__lt=generation).delete()
    return removed
