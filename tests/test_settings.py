"""Production settings pass Django's deployment checklist; configuration is by environment."""

import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from backupreport.settings import database_from_url
from tests.database_support import without_database_url

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=without_database_url() | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="backups.example.com",
        SITE_URL="https://backups.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("site_url", "warned"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("https://backups.example.com", False),
        ("http://10.0.0.7", False),
    ],
)
def test_check_deploy_warns_of_a_site_url_only_this_machine_reaches(settings, site_url, warned):
    """SITE_URL's development default under DJANGO_DEBUG=0 made every link in messages
    lead to the reader's own machine (found by an audit); a warning of `check --deploy`,
    not a refusal to start (accounts.checks says why)."""
    settings.SITE_URL = site_url
    found = run_checks(include_deployment_checks=True)
    assert ("accounts.W001" in {message.id for message in found}) is warned


@pytest.mark.parametrize(
    ("local_signin", "provider", "warned"),
    [
        (False, "", True),
        (False, "https://idp.example.com/.well-known", False),
        (True, "", False),
    ],
)
def test_check_deploy_warns_when_only_superusers_could_sign_in(
    settings, local_signin, provider, warned
):
    """Local sign-in off without an identity provider let superusers alone in, unsaid
    (found by an audit); a warning, as a deployment read by scripts alone may mean it."""
    settings.LOCAL_SIGNIN = local_signin
    settings.OIDC_DISCOVERY_URL = provider
    settings.SAML_IDP_METADATA_URL = settings.SAML_IDP_METADATA_FILE = ""
    found = run_checks(include_deployment_checks=True)
    assert ("accounts.W002" in {message.id for message in found}) is warned


def test_site_url_is_kept_without_its_trailing_slash(monkeypatch):
    """Links are SITE_URL plus a path that starts with one."""
    monkeypatch.setenv("SITE_URL", " https://backups.example.com/ ")
    read = runpy.run_path(str(ROOT / "backupreport" / "settings.py"))
    assert read["SITE_URL"] == "https://backups.example.com"


def test_production_mode_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_database_url_is_parsed(monkeypatch):
    monkeypatch.delenv("DATABASE_ENGINE", raising=False)
    database = database_from_url("postgres://report:s%40cret@db.internal:5433/fleet")
    assert database["ENGINE"] == "backupreport.postgres"
    assert (database["USER"], database["PASSWORD"]) == ("report", "s@cret")
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "db.internal",
        "5433",
        "fleet",
    )


def test_django_s_own_postgresql_engine_is_one_setting_away(monkeypatch):
    monkeypatch.setenv("DATABASE_ENGINE", "django.db.backends.postgresql")
    assert database_from_url("postgres://db/fleet")["ENGINE"] == "django.db.backends.postgresql"
    monkeypatch.setenv("DATABASE_ENGINE", "django.db.backends.mysql")
    with pytest.raises(
        ImproperlyConfigured, match="DATABASE_ENGINE: 'django.db.backends.mysql' is not"
    ):
        database_from_url("postgres://db/fleet")


@pytest.mark.parametrize(("command", "kept"), [("runserver", 0), ("migrate", 60)])
def test_the_development_server_keeps_no_connection(monkeypatch, command, kept):
    """Each of runserver's requests has a thread of its own, never used again: a kept
    connection would stay open for nothing (tests/test_runserver.py asks a real one)."""
    monkeypatch.setenv("DATABASE_URL", "postgres://db.invalid/fleet")
    monkeypatch.setenv("DB_CONN_MAX_AGE", "60")
    monkeypatch.setattr(sys, "argv", ["manage.py", command, "127.0.0.1:8000"])
    read = runpy.run_path(str(ROOT / "backupreport" / "settings.py"))
    assert read["DATABASES"]["default"]["CONN_MAX_AGE"] == kept


def cache_settings(monkeypatch, database_url: str, secret_key: str = "k" * 50) -> dict:
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", secret_key)
    return runpy.run_path(str(ROOT / "backupreport" / "settings.py"))["CACHES"]["default"]


def test_installs_sharing_one_redis_keep_apart_and_the_app_servers_of_one_share(monkeypatch):
    """Kept pages and figures are keyed by a generation number, which counts up alike in
    every fresh database: two installs on one Redis, each with its own fleet, answered
    each other's pages (found by an audit of the caches). Keyed by the install's secret
    key and its database, never by the key itself or the database's password: installs
    on machines of their own each name theirs localhost:5432/backupreport (found by a
    review)."""
    url = "postgres://report:s3cret@db.internal:5432/fleet"
    fleet = cache_settings(monkeypatch, url)
    again = cache_settings(monkeypatch, "postgres://report:other@db.internal:5432/fleet")
    other_name = cache_settings(monkeypatch, "postgres://report:s3cret@db.internal:5432/lab")
    other_host = cache_settings(monkeypatch, "postgres://report:s3cret@db2.internal:5432/fleet")
    other_install = cache_settings(monkeypatch, url, secret_key="o" * 50)
    assert fleet["KEY_PREFIX"] == again["KEY_PREFIX"]  # one install, every app server
    prefixes = [fleet, other_name, other_host, other_install]
    assert len({caches["KEY_PREFIX"] for caches in prefixes}) == 4
    assert "s3cret" not in fleet["KEY_PREFIX"] and "fleet" not in fleet["KEY_PREFIX"]
    assert "kkkk" not in fleet["KEY_PREFIX"]


@pytest.mark.parametrize(
    "url",
    [
        "postgres://report@%2FRun%2FPostgreSQL:5433/fleet",
        "postgres:///fleet?host=/Run/PostgreSQL",
        "postgres://report@ignored:5433/fleet?host=%2FRun%2FPostgreSQL",
    ],
)
def test_database_url_may_name_a_unix_socket_directory_as_libpq_does(url):
    database = database_from_url(url)
    assert (database["HOST"], database["NAME"]) == ("/Run/PostgreSQL", "fleet")


def test_database_url_with_another_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured, match="unsupported scheme"):
        database_from_url("mysql://root@localhost/fleet")


@pytest.mark.parametrize(
    ("environment", "said"),
    [
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be one of"),
        (
            {"SQLITE_BUSY_SECONDS": "20s"},
            "SQLITE_BUSY_SECONDS must be a number of seconds from 0, not '20s'.",
        ),
        (
            {"DATABASE_URL": "postgres://report:s3cret@db.internal:54x2/fleet"},
            "DATABASE_URL: Port could not be cast to integer value as '54x2'",
        ),
        (
            {"DATABASE_REPLICA_URL": "mysql://replica.internal/fleet"},
            "DATABASE_REPLICA_URL: unsupported scheme 'mysql'; use postgres://",
        ),
        ({"REDIS_URL": "http://redis.internal"}, "CACHE_URL / REDIS_URL: unsupported scheme"),
        # An unclosed IPv6 bracket: urllib's bare ValueError (found by an audit).
        ({"DATABASE_URL": "postgres://report@[::1/fleet"}, "DATABASE_URL: Invalid IPv6 URL"),
        ({"REDIS_URL": "redis://[::1"}, "CACHE_URL / REDIS_URL: Invalid IPv6 URL"),
    ],
)
def test_a_setting_that_cannot_work_stops_manage_py_in_one_line(environment, said):
    """A misconfigured variable ended every command with some thirty lines of traceback
    through Django's code, the message last; a number of seconds in words was Python's
    "could not convert string to float" naming no setting, and a replica's address was
    said to be DATABASE_URL's (found by an audit of the README's deployment steps)."""
    done = run_manage("check", **environment)
    assert done.returncode == 3
    assert done.stderr.startswith(f"Backup Report cannot start: {said}")
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "s3cret" not in done.stderr  # the address may hold a password: never echoed


def test_a_setting_that_cannot_work_stops_the_wsgi_application_in_one_line():
    """gunicorn imports backupreport.wsgi in each worker: it printed the traceback, then
    the message again. Status 3 is gunicorn's "Worker failed to boot": the server stops
    rather than start the worker again and again."""
    done = subprocess.run(
        [sys.executable, "-c", "import backupreport.wsgi"],
        cwd=ROOT,
        env=without_database_url() | {"VENDOR_RETRY_SECONDS": "two"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3
    assert done.stderr == (
        "Backup Report cannot start: VENDOR_RETRY_SECONDS must be a number of seconds "
        "from 0, not 'two'.\n"
    )


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("METRICS_ORG_DEPTH", "0", "from 1"),
        ("METRICS_ORG_DEPTH", "two", "from 1"),
        ("EMAIL_PORT", "-25", "from 0"),
        ("EMAIL_TIMEOUT", "0", "from 1"),
        ("HISTORY_DAYS", "0", "from 31"),
        ("HISTORY_DAYS", "30", "from 31"),
        ("API_TOKEN_SECONDS", "0", "from 1 to 31536000"),
        ("API_TOKEN_SECONDS", "1000000000000", "from 1 to 31536000"),
        ("LOGIN_FAILURE_LIMIT", "0", "from 1"),
        ("LOGIN_LOCKOUT_MINUTES", "9999999999", "from 0 to 525600"),
    ],
)
def test_a_number_setting_out_of_its_range_stops_the_start_naming_it(name, value, allowed):
    """A metrics depth of 0 served no org series, so no alert could fire, unsaid (found
    by an audit of the integrations); a word stopped the start with a bare ValueError.
    HISTORY_DAYS=0 had snapshot_health remove the snapshot it had just taken, and fewer
    than 31 leave compliance nothing 30 days back (found by an audit of section 9).
    EMAIL_TIMEOUT=0 failed every message at its send, "Non-blocking socket (timeout=0) is
    not supported" (found by an audit of section 10). API_TOKEN_SECONDS=0 issued tokens
    expired as they were issued, refused with a bare 401, and one past the calendar
    failed every token request with a 500; LOGIN_FAILURE_LIMIT=0 locked everyone out
    ("too many failed sign-ins") before any failure, and a lockout of thousands of years
    failed every sign-in with a 500 (found by an audit of section 7)."""
    done = run_manage("check", **{name: value})
    assert done.returncode != 0
    said = f"{name} must be a whole number {allowed}, not {value!r}."
    assert said in done.stderr
    smallest = int(allowed.split()[1])
    assert run_manage("check", **{name: str(max(smallest, 3))}).returncode == 0


@pytest.mark.parametrize(
    ("value", "shown"),
    [("9" * 5000, repr("9" * 40 + "... (5000 characters)")), ("\u00b2", repr("\u00b2"))],
)
def test_a_number_setting_python_cannot_read_stops_the_start_in_one_line(value, shown):
    """5,000 digits (past Python's int-conversion limit of 4,300) or a superscript two
    (a digit to isdigit(), not to int()) stopped the start with a bare ValueError naming
    no variable, not the house line (found by an audit of the small defects)."""
    done = run_manage("check", METRICS_ORG_DEPTH=value)
    assert done.returncode == 3
    assert done.stderr == (
        f"Backup Report cannot start: METRICS_ORG_DEPTH must be a whole number from 1, "
        f"not {shown}.\n"
    )


IDENTITY_PROVIDER_SETTINGS = (
    "OIDC_DISCOVERY_URL",
    "OIDC_CLIENT_ID",
    "SAML_IDP_METADATA_URL",
    "SAML_IDP_METADATA_FILE",
)
BOOLEAN_SAID = "1, true, yes, on, 0, false, no, off"
SITE_URL_WANTED = (
    "SITE_URL must be an http:// or https:// address with a host (https://backups.example.com)"
)


@pytest.mark.parametrize(
    ("environment", "said"),
    [
        (
            {"WEBHOOK_TIMEOUT_SECONDS": "0"},
            "WEBHOOK_TIMEOUT_SECONDS must be a whole number from 1, not '0'.",
        ),
        *(
            ({"SITE_URL": url}, f"{SITE_URL_WANTED}, not {url!r}.")
            for url in (
                "backups.example.com",
                "ftp://backups.example.com",
                "https://",
                "https://backups.example.com:443x",
            )
        ),
        (
            {"SAML_SP_BASE_URL": "backups.example.com"},
            "SAML_SP_BASE_URL must be an http:// or https:// address with a host",
        ),
        (
            {"BACKUP_WARNING_DAYS": "7", "BACKUP_CRITICAL_DAYS": "3"},
            "BACKUP_WARNING_DAYS (7) must not be more than BACKUP_CRITICAL_DAYS (3).",
        ),
        ({"AUDIT_SYSLOG_FORMAT": "leef"}, "AUDIT_SYSLOG_FORMAT must be json or cef, not 'leef'."),
        (
            {"AUDIT_SYSLOG_PROTOCOL": "sctp"},
            "AUDIT_SYSLOG_PROTOCOL must be udp or tcp, not 'sctp'.",
        ),
        ({"SSO_MATCH": "upn"}, "SSO_MATCH must be email or username, not 'upn'."),
        *(
            ({name: word}, f"{name} must be one of {BOOLEAN_SAID}, not {word!r}.")
            for name, word in (
                ("TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS", "required"),
                ("LOCAL_SIGNIN", "ture"),
                ("DJANGO_DEBUG", "nope"),
            )
        ),
        (
            {"SSO_SESSION_HOURS": "0"},
            "SSO_SESSION_HOURS must be a whole number from 1, not '0'.",
        ),
        (
            {"SCIM_TOKEN": "provisioning"},
            "SCIM_TOKEN must be at least 32 characters (it is 12)",
        ),
        *(
            ({given: value}, f"{given} is set without {missing}: set both, or neither.")
            for given, missing, value in (
                ("OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID", "https://idp.example.com/.well-known"),
                ("OIDC_CLIENT_ID", "OIDC_DISCOVERY_URL", "backup-report"),
                ("SAML_SP_KEY_FILE", "SAML_SP_CERT_FILE", "/etc/backup-report/sp.key"),
                ("SAML_SP_CERT_FILE", "SAML_SP_KEY_FILE", "/etc/backup-report/sp.crt"),
            )
        ),
        (
            {"LOG_LEVEL": "LOUD"},
            "LOG_LEVEL must be debug or info or warning or warn or error or critical or fatal "
            "or notset, not 'LOUD'.",
        ),
        (
            {"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"},
            "EMAIL_USE_TLS and EMAIL_USE_SSL are both on",
        ),
    ],
)
def test_a_setting_that_cannot_work_stops_the_start_naming_it(monkeypatch, environment, said):
    """The settings module read in this process, as a start reads it: a case costs
    milliseconds, a start in a subprocess seconds. A webhook timeout of 0 had urllib3
    refuse every delivery before it was sent; a SITE_URL without its scheme made every link
    in messages lead nowhere; a warning after critical counted devices in both bands; a
    syslog format or protocol of another name stopped `audit_forward` with a bare
    KeyError or ValueError, and its --loop for good; SSO_MATCH=upn made every single
    sign-in a 500; a yes or no in words of its own (required, ture) was read as off;
    SSO_SESSION_HOURS=0 ended each session at its sign-in; a guessable SCIM_TOKEN would
    let anyone end people's access; half of a pair of settings
    left its feature off or failing; local sign-in off without an identity provider let
    superusers alone in (found by an audit)."""
    for name in IDENTITY_PROVIDER_SETTINGS:  # this machine's own, if any
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        runpy.run_path(str(ROOT / "backupreport" / "settings.py"))
    assert said in str(refused.value)


def test_warning_and_critical_days_may_be_equal(monkeypatch):
    """No warning band: a device goes from OK to critical."""
    monkeypatch.setenv("BACKUP_WARNING_DAYS", "5")
    monkeypatch.setenv("BACKUP_CRITICAL_DAYS", "5")
    read = runpy.run_path(str(ROOT / "backupreport" / "settings.py"))
    assert (read["BACKUP_WARNING_DAYS"], read["BACKUP_CRITICAL_DAYS"]) == (5, 5)


def test_syslog_choices_are_read_without_case_or_spaces(monkeypatch):
    """ "cef " with its space was a KeyError in audit_forward."""
    monkeypatch.setenv("AUDIT_SYSLOG_FORMAT", "cef ")
    monkeypatch.setenv("AUDIT_SYSLOG_PROTOCOL", " TCP")
    read = runpy.run_path(str(ROOT / "backupreport" / "settings.py"))
    assert (read["AUDIT_SYSLOG_FORMAT"], read["AUDIT_SYSLOG_PROTOCOL"]) == ("cef", "tcp")


@pytest.mark.parametrize(
    ("word", "read"),
    [("1", True), (" TRUE", True), ("Yes", True), ("on", True)]
    + [("0", False), ("false", False), ("NO ", False), ("Off", False), ("", True)],
)
def test_a_yes_or_no_is_read_in_any_case_and_empty_is_the_default(monkeypatch, word, read):
    monkeypatch.setenv("AUDIT_LOG", word)  # on by default
    assert runpy.run_path(str(ROOT / "backupreport" / "settings.py"))["AUDIT_LOG"] is read


@pytest.mark.parametrize(
    ("name", "setting", "default"),
    [
        ("DEFAULT_FROM_EMAIL", "DEFAULT_FROM_EMAIL", "Backup Report <backup-report@localhost>"),
        ("TOTP_ISSUER", "OTP_TOTP_ISSUER", "Backup Report"),
        ("OIDC_SCOPES", "OIDC_SCOPES", "openid email profile"),
        ("OIDC_PROVIDER_NAME", "OIDC_PROVIDER_NAME", "single sign-on"),
        ("SAML_EMAIL_ATTRIBUTE", "SAML_EMAIL_ATTRIBUTE", "email"),
        ("SAML_XMLSEC_BINARY", "SAML_XMLSEC_BINARY", "/usr/bin/xmlsec1"),
    ],
)
@pytest.mark.parametrize("empty", ["", "  "])
def test_a_text_setting_set_empty_reads_as_its_default(monkeypatch, name, setting, default, empty):
    """`DEFAULT_FROM_EMAIL=` in an environment file sent every message with an empty
    From; OIDC_SCOPES= asked the provider for no scope, not even openid (found by an
    audit)."""
    monkeypatch.setenv(name, empty)
    assert runpy.run_path(str(ROOT / "backupreport" / "settings.py"))[setting] == default


def test_sqlite_path_set_empty_reads_as_its_default(monkeypatch):
    """SQLITE_PATH= stopped every command at its first query, "Please supply the NAME
    value" (found by an audit)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SQLITE_PATH", "")
    read = runpy.run_path(str(ROOT / "backupreport" / "settings.py"))
    assert read["DATABASES"]["default"]["NAME"] == str(ROOT / "db.sqlite3")


@pytest.mark.parametrize(
    "provider",
    [
        {"OIDC_DISCOVERY_URL": "https://idp.example.com/.well-known", "OIDC_CLIENT_ID": "br"},
        {"SAML_IDP_METADATA_URL": "https://idp.example.com/metadata"},
        {"SAML_IDP_METADATA_FILE": "/etc/backup-report/idp.xml"},
    ],
)
def test_local_sign_in_may_be_off_beside_an_identity_provider(monkeypatch, provider):
    monkeypatch.setenv("LOCAL_SIGNIN", "0")
    for name, value in provider.items():
        monkeypatch.setenv(name, value)
    assert runpy.run_path(str(ROOT / "backupreport" / "settings.py"))["LOCAL_SIGNIN"] is False
