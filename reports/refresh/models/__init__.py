"""The run log (run.py) and the uploads in the browser (upload.py), each in a module of
its own; an upload refers to its run, never the other way round."""

from reports.refresh.models.run import Run
from reports.refresh.models.upload import Upload

__all__ = ["Run", "Upload"]
