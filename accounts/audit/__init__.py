"""The audit log (spec section 13): who signed in, exported, made API clients, gave
roles, uploaded and changed settings; append-only, chained by hash, forwarded to syslog.

For every feature, one call records an event:

    from accounts import audit
    audit.record("apiclient.created", target=client.client_id, user=...)  # actor, address:
                                                    # from the request being answered
    audit.record_export(request, target="DeviceBackupReport", rows=n)  # an export, kind
                                                    # "export.csv" or kind="export.xlsx"

- kinds:      every event kind (record refuses others); add one there with its meaning.
- recording:  record(kind, actor=, target=, request=, **details).
- context:    the request being answered, `via(how)` for how a change came about, and
              `by_command(how)` for a management command's events (actor: os_user()).
- models:     the events, append-only (their queryset refuses update and delete,
              and a trigger in the database; retention alone removes, remove_before).
- chain:      the hash chain and its verification (audit_verify).
- reads:      API page reads summarised per caller and hour (reads.count(request)).
- forwarding: syslog (RFC 5424, JSON or CEF), after commit, never blocking; backlog.
- retention:  removes the oldest whole days past AUDIT_RETENTION_DAYS (audit_prune).
- views:      the page, its CSV, and the JSON resource with a cursor: system
              administrators only.
- signin_methods: how a caller signed in, as sign-ins and exports say it.
- receivers:  Django's and django-axes' signals (sign-in, sign-out, lockout, roles,
              the admin's change log, API clients).
"""


def record(kind: str, **kwargs):
    """accounts.audit.recording.record; imported late so that importing this package
    loads no model (apps import it while Django starts)."""
    from accounts.audit.recording import record as record_event

    return record_event(kind, **kwargs)


def record_export(request, **kwargs):
    """accounts.audit.recording.record_export: an export with its parameters and rows."""
    from accounts.audit.recording import record_export as record_one

    return record_one(request, **kwargs)


def via(how: str):
    from accounts.audit.context import via as via_block

    return via_block(how)


def by_command(how: str):
    """accounts.audit.context.by_command: events inside are by the OS user who ran the
    command (os_user), `via` how."""
    from accounts.audit.context import by_command as command_block

    return command_block(how)


def os_user() -> str:
    """accounts.audit.context.os_user: who ran a command, or "command line"."""
    from accounts.audit.context import os_user as who

    return who()


def command_user() -> str:
    """accounts.audit.context.command_user: inside by_command, the OS user; else ""."""
    from accounts.audit.context import command_user as who

    return who()
