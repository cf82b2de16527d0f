"""A number that moves on with every change to who may sign in and what they may see.

The API is asked again and again by the same scripts with the same credentials. Checking
them costs a query on every request (the user, their roles, django-axes' failure counts),
which at a few hundred pages a second is most of the machine. The answer stays true until
one of the rows it was read from changes: the user (but for the time of their last
sign-in), their group memberships, the groups, the org tree (an org manager's reach is a
subtree), API clients (but for their last use), and the failed sign-ins axes counts.

Triggers on those tables (migration 0006, accounts.watched_tables, on PostgreSQL and
SQLite alike) move `AccessGeneration` on to a number never used before. caller_memo
keeps a verified caller under the number it was verified at, so a deactivation, a revoked
client, a role taken away or a lockout is seen by the very next request, on every app
server.
"""

from __future__ import annotations

from django.db import connections, models

# Read from the database writes go to, never a replica: a lock or a deactivation must be
# seen at once, not when the replica catches up.
DATABASE = "default"


class AccessGeneration(models.Model):
    number = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "access generation"

    def __str__(self) -> str:
        return f"access generation {self.number}"


NUMBER_SQL = f"SELECT number FROM {AccessGeneration._meta.db_table} WHERE id = 1"


def current() -> int | None:
    """The access generation now, or None while there is none to go by (the row gone
    after a flush, until the next write): then nothing is kept."""
    with connections[DATABASE].cursor() as cursor:  # plain SQL: read on every API request
        cursor.execute(NUMBER_SQL)
        row = cursor.fetchone()
    return row[0] if row is not None else None
