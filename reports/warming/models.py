"""Figures computed ahead of the first visitor, kept in the database (reports.cache).

The per-process cache of an app server is empty after a restart and is not another
server's: warming that wrote only there would help the process that warmed. A row here
is found by every process on every server that shares the database, whatever the cache.
"""

from __future__ import annotations

from django.db import models


class StoredFigure(models.Model):
    # The cache key itself: the figure's name, the generation and the question's digest.
    key = models.CharField(max_length=200, primary_key=True)
    generation = models.BigIntegerField(db_index=True)
    value = models.BinaryField()  # pickled, as Django's cache backends store values
    stored_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key
