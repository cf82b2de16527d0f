"""What runs after new data is in: one function, its steps in a stated order.

A successful import, upload, sync or rebuild (reports.refresh.log, once the run is
logged as succeeded) and the daily snapshot (`manage.py snapshot_health`) call
`after_refresh()`. Its steps are settings.AFTER_REFRESH, in that order: today's health
snapshot (reports.history), then every role scope's first figures (reports.warming),
after the snapshot so that the trend warmed holds it. A new step is a line there.

Each step runs after the work's transaction has committed: the data is in whatever
becomes of a step. A step that fails is logged (logger `reports.pipeline`) and its error
returned, for the run log to show (Run.after_refresh); the steps after it still run.
A step takes the occasion and returns a line saying what it did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class Occasion(StrEnum):
    NEW_DATA = "new data"  # an import, an upload or a sync succeeded
    REBUILT = "rebuilt"  # the report table rebuilt from the same data
    NEW_DAY = "new day"  # the daily snapshot: health ages though no data arrived


Step = Callable[[Occasion], str]


@dataclass(frozen=True)
class StepOutcome:
    step: str
    note: str = ""  # what the step did
    error: str = ""  # why it failed; empty when it did not

    @property
    def failed(self) -> bool:
        return bool(self.error)

    def line(self) -> str:
        if self.failed:
            return f"{self.step} failed: {self.error}"
        return f"{self.step}: {self.note or 'done'}"

    def as_dict(self) -> dict[str, str]:
        return {"step": self.step, "note": self.note, "error": self.error}


def steps() -> list[Step]:
    """The steps of settings.AFTER_REFRESH, in order."""
    return [import_string(path) for path in settings.AFTER_REFRESH]


def step_name(step: Step) -> str:
    return step.__name__.replace("_", " ")


def after_refresh(occasion: Occasion, after: str) -> list[StepOutcome]:
    """Run every step in order; `after` names what ended, for the log ("run 42")."""
    outcomes = []
    for step in steps():
        name = step_name(step)
        try:
            note = step(occasion)
        except Exception as error:  # one step's failure must not stop the others
            logger.exception("%s after %s failed; the data is in all the same", name, after)
            outcomes.append(StepOutcome(name, error=f"{type(error).__name__}: {error}"))
        else:
            outcomes.append(StepOutcome(name, note=note or ""))
    return outcomes
