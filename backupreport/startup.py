"""The start of every process (manage.py, the WSGI application): the settings read
before anything else, and a setting that cannot work said in one line.

backupreport/settings.py refuses a value that cannot work by raising
ImproperlyConfigured with a message naming the variable. Left to Python, that message
came last under some thirty lines of traceback through Django's and argparse's code
(manage.py), or twice around one (gunicorn), where an operator reading a service's log
looks for what to change (found by an audit of the README's deployment steps).
"""

import sys

from django.core.exceptions import ImproperlyConfigured

# gunicorn stops the whole server, "Worker failed to boot", when a worker ends with this
# status, rather than starting the worker again and again; any other program reads it
# as a failure.
REFUSED_EXIT_STATUS = 3

# The commands that answer as monitoring plugins (one line on stdout, exit 3 for
# UNKNOWN): the refusal is their UNKNOWN line too, since monitoring reads stdout alone
# and showed "(No output on stdout)" (found by an audit of section 14).
PLUGIN_COMMANDS = ("audit_verify",)


def settings_or_exit() -> None:
    """Reads the settings; one that cannot work ends the process with its message on
    standard error, naming the variable, and no traceback."""
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018  (reads backupreport/settings.py)
    except ImproperlyConfigured as refused:
        print(f"Backup Report cannot start: {refused}", file=sys.stderr)
        if sys.argv[1:2] and sys.argv[1] in PLUGIN_COMMANDS:
            print(f"UNKNOWN: Backup Report cannot start: {refused}")
        sys.exit(REFUSED_EXIT_STATUS)
