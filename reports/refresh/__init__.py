"""Keeping the data fresh (spec section 8): the run log of every import, sync and
rebuild, and the sync from the vendor.

A nested Django app (label `refresh`): it depends on `reports.importing` for the work
itself and on nothing that depends on it. A run that succeeds calls the after-refresh
pipeline (reports.pipeline) from the run log (log.py).
"""
