"""The audit log's hash chain checked as a monitoring plugin answers (the Nagios plugin
conventions, which Icinga, Naemon, Zabbix and Prometheus' script exporters read): one
line on stdout and an exit status, 0 OK, 2 CRITICAL (the first broken link, named), 3
UNKNOWN (it could not check: the database out of reach, its tables missing). A break
and an outage both exited 1, and a break was written to stderr alone, which monitoring
does not show (found by an audit)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.audit.chain import first_break

OK, CRITICAL, UNKNOWN = 0, 2, 3


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain from its oldest kept event to the last one "
        "recorded, as a monitoring plugin: exit status 0 and 'OK: ...' when it holds, 2 and "
        "'CRITICAL: ...' naming the first broken link, 3 and 'UNKNOWN: ...' when it "
        "cannot check (the database out of reach)."
    )
    # The answer is about the chain alone; the deployment's own checks are `manage.py
    # check`'s, and one of them failing would exit 1, which is no plugin status.
    requires_system_checks = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.exit = self._exit_from_parser  # a bad option is UNKNOWN, not argparse's 2
        return parser

    def _exit_from_parser(self, status: int = 0, message: str | None = None) -> None:
        if status:
            self.stdout.write(f"UNKNOWN: {(message or 'bad arguments').strip()}")
            sys.exit(UNKNOWN)
        sys.exit(status)  # --help, --version

    def handle(self, *args, **options) -> None:
        try:
            checked, broken = first_break()
        except Exception as error:  # whatever stopped the check: the chain is not known
            lines = str(error).strip().splitlines()
            why = type(error).__name__ + (f": {lines[0]}" if lines else "")
            raise self._failure(UNKNOWN, f"the audit chain could not be checked: {why}") from error
        if broken is not None:
            raise self._failure(CRITICAL, f"{broken} ({checked} events before it hold)")
        self.stdout.write(f"OK: the audit chain holds: {checked} events checked | events={checked}")

    def _failure(self, status: int, line: str) -> CommandError:
        """The plugin's one line on stdout; raised, it exits with the status, and tells
        call_command's callers (and stderr) the same."""
        label = "CRITICAL" if status == CRITICAL else "UNKNOWN"
        self.stdout.write(f"{label}: {line}")
        return CommandError(f"{label}: {line}", returncode=status)
