"""Settings, driven by environment variables.

Development needs nothing set: SQLite in the project folder, DEBUG on, a key made for
this installation on its first start. Production sets DJANGO_DEBUG=0, SECRET_KEY,
ALLOWED_HOSTS and DATABASE_URL.
"""

import datetime as dt
import hashlib
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


BOOLEAN_WORDS = {"1": True, "true": True, "yes": True, "on": True}
BOOLEAN_WORDS |= {"0": False, "false": False, "no": False, "off": False}


def env_bool(name: str, default: bool) -> bool:
    """One of BOOLEAN_WORDS, in any case and with spaces around; unset or empty, the
    default. Another word stops the start naming the variable: any word but these four
    was read as off, and TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS=required asked no
    second factor, LOCAL_SIGNIN=ture let only superusers sign in (found by an audit)."""
    given = os.environ.get(name) or ""
    value = given.strip().lower()
    if not value:
        return default
    if value not in BOOLEAN_WORDS:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(BOOLEAN_WORDS)}, not {given!r}."
        )
    return BOOLEAN_WORDS[value]


def env_int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number from `minimum` (to `maximum`), or the start stops naming the
    variable: a depth of 0 for the metrics served no org series and no alert could fire,
    unsaid (found by an audit of the integrations); a word was a bare ValueError."""
    value = os.environ.get(name)
    if not value:
        return default
    allowed = f"from {minimum}" if maximum is None else f"from {minimum} to {maximum}"
    digits = value.strip().removeprefix("-")
    # ASCII digits only, and few enough for int(): "²" passed isdigit() and 4,301 digits
    # passed it too, and int() then raised a ValueError naming no variable.
    number = int(value) if digits.isascii() and digits.isdigit() and len(digits) <= 100 else None
    if number is None or number < minimum or (maximum is not None and number > maximum):
        shown = value if len(value) <= 100 else f"{value[:40]}... ({len(value)} characters)"
        raise ImproperlyConfigured(f"{name} must be a whole number {allowed}, not {shown!r}.")
    return number


def scim_token(name: str) -> str:
    """A bearer token of at least 32 characters, or none (SCIM off)."""
    value = (os.environ.get(name) or "").strip()
    if value and len(value) < 32:
        raise ImproperlyConfigured(
            f"{name} must be at least 32 characters (it is {len(value)}); make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return value


def env_text(name: str, default: str) -> str:
    """Text; unset, empty or only spaces, the default, as for every other setting: an
    empty line in an environment file (`DEFAULT_FROM_EMAIL=`) sent every message with an
    empty From, and SQLITE_PATH= stopped every command at its first query with Django's
    "Please supply the NAME value" (found by an audit)."""
    return (os.environ.get(name) or "").strip() or default


def env_seconds(name: str, default: float) -> float:
    """A number of seconds, a fraction allowed, from 0, or the start stops naming the
    variable: SQLITE_BUSY_SECONDS=20s or VENDOR_RETRY_SECONDS=two stopped it with Python's
    "could not convert string to float", naming no setting (found by an audit)."""
    value = os.environ.get(name)
    if not value or not value.strip():
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):  # also refuses nan
        raise ImproperlyConfigured(f"{name} must be a number of seconds from 0, not {value!r}.")
    return seconds


def env_site_url(name: str, default: str) -> str:
    """An http:// or https:// address with a host, without its trailing slash, or the
    start stops naming the variable: the links of digests, owner alerts, invitations,
    webhooks and List-Unsubscribe are this plus a path, and `backups.example.com` made
    every one of them a relative link that led nowhere (found by an audit)."""
    value = os.environ.get(name) or default
    address = value.strip().rstrip("/")
    try:
        parts = urlparse(address)
        # Reading .port raises ValueError for a port that is no number or out of range.
        usable = parts.scheme in ("http", "https") and parts.hostname and parts.port != 0
    except ValueError:  # that, or a broken [IPv6] host
        usable = False
    if not usable:
        raise ImproperlyConfigured(
            f"{name} must be an http:// or https:// address with a host "
            f"(https://backups.example.com), not {value!r}."
        )
    return address


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, in any case and with spaces around, or the start stops naming the
    variable and the choices: `leef`, or `cef ` with its space, was taken and stopped
    `audit_forward` with a bare KeyError (found by an audit)."""
    given = os.environ.get(name) or ""
    value = given.strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be {' or '.join(choices)}, not {given!r}.")
    return value


def env_pair(first: str, second: str) -> tuple[str, str]:
    """Two variables that work only together: both set or neither, or the start stops
    naming the two. OIDC_DISCOVERY_URL without OIDC_CLIENT_ID left OpenID Connect off,
    unsaid; a SAML signing key without its certificate failed every sign-in's start
    (found by an audit)."""
    values = os.environ.get(first, ""), os.environ.get(second, "")
    if bool(values[0].strip()) != bool(values[1].strip()):
        given, missing = (first, second) if values[0].strip() else (second, first)
        raise ImproperlyConfigured(f"{given} is set without {missing}: set both, or neither.")
    return values


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Django's development server answers each request on a thread of its own, which ends
# with the request: a connection kept for the next request of its thread is never used
# again and stays open until PostgreSQL's limit is reached (Django's documentation: no
# persistent connections under the development server). There, every request closes its.
DEVELOPMENT_SERVER = len(sys.argv) > 1 and sys.argv[1] == "runserver"

# The PostgreSQL engine: `backupreport.postgres` (Django's, reading timestamps faster and
# folding the health check into the first read) or Django's own,
# `django.db.backends.postgresql`; the product needs nothing of the first.
POSTGRES_ENGINES = ("backupreport.postgres", "django.db.backends.postgresql")


def database_engine() -> str:
    engine = os.environ.get("DATABASE_ENGINE") or POSTGRES_ENGINES[0]
    if engine not in POSTGRES_ENGINES:
        raise ImproperlyConfigured(
            f"DATABASE_ENGINE: {engine!r} is not one of {', '.join(POSTGRES_ENGINES)}"
        )
    return engine


def read_address(url: str, name: str):
    """urlparse's reading of a variable's address, or the start stopped naming it: an
    unclosed IPv6 bracket was urllib's bare ValueError and its traceback (found by an
    audit). Not the address itself in the message: it may hold a password."""
    try:
        return urlparse(url)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}") from None


def database_from_url(url: str, name: str = "DATABASE_URL") -> dict:
    """postgres://user:password@host:port/name -> a DATABASES entry.

    The host may be a Unix socket's directory, as libpq takes it: percent-encoded in
    place of the host (postgres://user@%2Frun%2Fpostgresql/name) or as a `host`
    parameter (postgres:///name?host=/run/postgresql). On the database's own machine
    the socket is the cheaper way: every API request makes one round trip.

    A refusal names `name`, the variable read: DATABASE_REPLICA_URL's was said to be
    DATABASE_URL's, and a port that is no number stopped the start with urllib's bare
    ValueError (found by an audit).
    """
    parts = read_address(url, name)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(f"{name}: unsupported scheme {parts.scheme!r}; use postgres://")
    try:
        parts.port  # noqa: B018  (raises ValueError for a port that is no number or out of range)
    except ValueError as error:
        # Not the address itself: it may hold the password, and this goes to the log.
        raise ImproperlyConfigured(f"{name}: {error}") from None
    return {
        "ENGINE": database_engine(),
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": _host(parts),
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 0 if DEVELOPMENT_SERVER else env_int("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
    }


def _host(parts) -> str:
    socket_directory = parse_qs(parts.query).get("host")
    if socket_directory:
        return socket_directory[-1]
    # As written, not parts.hostname: that lowercases, and a directory's case matters.
    host = parts.netloc.rpartition("@")[2]
    if parts.port is not None:
        host = host.rpartition(":")[0]
    host = unquote(host)
    return host if host.startswith("/") else parts.hostname or ""


def installation_secret_key(path: Path) -> str:
    """The key of this installation when SECRET_KEY is not set: random, made on the
    first start and kept in `path` (mode 0600, outside git), read on every later start.

    A key written in the repository would be everyone's: with it anyone could sign an
    unsubscribe link, a session or a token for any user. Two processes starting at once
    (the web server and the worker) read the same key: the file appears whole or not at
    all (written aside, then linked into place; the link fails if another was first).
    """
    if not path.exists():
        aside = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        try:
            descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(50) + "\n")
            try:
                os.link(aside, path)
            except FileExistsError:
                pass  # another process made it first: theirs is the key
            finally:
                aside.unlink()
        except OSError as error:
            raise ImproperlyConfigured(
                f"SECRET_KEY is not set and the key of this installation cannot be written "
                f"to {path} ({error.strerror}): set SECRET_KEY, or SECRET_KEY_FILE to a "
                f"writable place"
            ) from error
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(
            f"{path} is empty: delete it (a new key is made) or set SECRET_KEY"
        )
    return key


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG=0")
    SECRET_KEY = installation_secret_key(
        Path(os.environ.get("SECRET_KEY_FILE") or BASE_DIR / ".secret_key")
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "accounts.admin_config.BackupReportAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "django_tasks",  # the job engine (reports.refresh.jobs)
    # Its database backend and the db_worker command; this and the next three under names
    # an admin reads in the sidebar (backupreport.third_party_apps).
    "backupreport.third_party_apps.BackgroundJobs",
    "backupreport.third_party_apps.SignInLockouts",
    "djangosaml2",  # SAML 2.0 sign-in (accounts.sso.saml)
    "django_otp",  # the second factor (accounts.second_factor)
    "backupreport.third_party_apps.SecondFactor",
    "accounts",
    "accounts.audit",  # the audit log (spec section 13)
    "reports",
    "reports.refresh",
    "reports.history",
    "reports.warming",
    "reports.dashboards.saved",  # saved views (spec section 15)
    "reports.notifications",
    "reports.integrations",  # /metrics, webhooks
    "reports.demo",  # generate_demo_data
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database out of reach is a 503 with DJANGO_DEBUG=1 too (backupreport.errors).
    "backupreport.errors.DatabaseUnavailableMiddleware",
    # Before anything reads the request: text the database cannot store (a NUL) is
    # answered 400 or 404 here, not 500 from the first query that meets it.
    "backupreport.edge.StorableTextMiddleware",
    "reports.clock.ClockMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The SAML requests in flight, in a cookie the identity provider's POST brings back.
    "djangosaml2.middleware.SamlSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Events recorded while a request is answered name its user and address (accounts.audit).
    "accounts.audit.context.AuditRequestMiddleware",
    # An answer to a signed-in caller that says nothing of caching is kept by none.
    "backupreport.private_answers.PrivateAnswersMiddleware",
    # Whether the session passed its second factor (django-otp), then: a password-only
    # session of a user who must use one waits for it (accounts.second_factor).
    "django_otp.middleware.OTPMiddleware",
    "accounts.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Ends the password check of a sign-in that succeeded, once answered (accounts.lockout).
    "accounts.lockout.PasswordCheckMiddleware",
    # Last, as axes asks: it turns a sign-in refused by the lock into lockout_response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backupreport.urls"
WSGI_APPLICATION = "backupreport.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # Every page's menu, role label and data age (templates/base.html).
                "backupreport.frame.page_frame",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "backupreport.sqlite",
            "NAME": env_text("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # WAL: pages keep reading while the worker's import writes (without it,
            # readers wait for a long write transaction's end).
            # A writer waits this long for another's write lock (a web request's sign-in
            # during an import), then answers 503; imports and syncs wait as long as the
            # other runs (accounts.locks.wait_for_the_writer).
            "OPTIONS": {
                "timeout": env_seconds("SQLITE_BUSY_SECONDS", 20),
                "init_command": "PRAGMA journal_mode=WAL;",
            },
            # Tests in memory, as on Django's own engine: pytest-django knows an SQLite
            # database by that engine's name only, and would name each test worker's
            # a file after this NAME otherwise.
            "TEST": {"NAME": ":memory:"},
        }
    }

# Several app servers: report reads may come from a PostgreSQL read replica
# (backupreport.routers); writes, and everything but the report table, from the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = database_from_url(
        os.environ["DATABASE_REPLICA_URL"], "DATABASE_REPLICA_URL"
    )
    DATABASE_ROUTERS = ["backupreport.routers.ReportReadsFromReplica"]


def cache_key_prefix(database: dict, secret_key: str) -> str:
    """What every key of the shared cache starts with: a digest of the install's
    SECRET_KEY and the database's address (engine, host, port, name; never the password
    nor the key itself), so that two installs sharing one Redis never read each other's
    values. Every kept value is keyed by a generation number (reports.cache), and those
    count up alike in every fresh database: two installs, each with its own fleet of 50
    demo devices, both stood at 331, and one answered the other's API pages to its
    system administrator (found by an audit of the caches). The address alone is the
    same for installs that each name their own database alike (localhost:5432/backupreport,
    a compose file's db:5432) (found by a review); the key is each install's own (random
    when unset), and one install's app servers share it already, for sessions and tokens."""
    address = "\x00".join(str(database.get(key, "")) for key in ("ENGINE", "HOST", "PORT", "NAME"))
    install = f"cache-prefix\x00{secret_key}\x00{address}"
    return "db-" + hashlib.sha256(install.encode()).hexdigest()[:16]


def cache_from_url(url: str, database: dict, secret_key: str) -> dict:
    """REDIS_URL (or CACHE_URL): Django's own Redis backend, shared by every app server,
    so that a count or figure computed on one is found on the others (reports.cache);
    while Redis is away, a miss (backupreport.resilient_cache). Its keys are the
    database's (cache_key_prefix): the app servers of one database share them, no one
    else."""
    if read_address(url, "CACHE_URL / REDIS_URL").scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured(
            f"CACHE_URL / REDIS_URL: unsupported scheme in {url!r} (redis://)"
        )
    return {
        "BACKEND": "backupreport.resilient_cache.ResilientRedisCache",
        "LOCATION": url,
        "KEY_PREFIX": cache_key_prefix(database, secret_key),
        # A Redis that does not answer at all (a machine gone, a firewall) holds a request
        # this long once, then is left alone a while; refused connections fail at once.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 5},
    }


# Without either, each process keeps its own cache in memory (Django's default).
if CACHE_URL := os.environ.get("REDIS_URL") or os.environ.get("CACHE_URL"):
    CACHES = {"default": cache_from_url(CACHE_URL, DATABASES["default"], SECRET_KEY)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # django-axes: refuses locked usernames and addresses, and admits the password check
    # of the backend below no more often at once than may still fail.
    "accounts.lockout.LockoutBackend",
    # Django's ModelBackend, refusing anyone the vendor deactivated and, when LOCAL_SIGNIN
    # is off, everyone but superusers (accounts.local_signin). First: the backend of a
    # password session.
    "accounts.local_signin.LocalPasswordBackend",
    # Keeps the sessions single sign-on starts, refusing anyone the vendor deactivated;
    # it checks no password (accounts.backends).
    "accounts.backends.MirroredUserBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on (accounts.sso; README "Single sign-on"). Each protocol is on when its
# identity provider is configured: OpenID Connect by OIDC_DISCOVERY_URL, SAML 2.0 by
# SAML_IDP_METADATA_URL or SAML_IDP_METADATA_FILE.
OIDC_PROVIDER_NAME = env_text("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_DISCOVERY_URL, OIDC_CLIENT_ID = env_pair("OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_SCOPES = env_text("OIDC_SCOPES", "openid email profile")
OIDC_GROUPS_CLAIM = env_text("OIDC_GROUPS_CLAIM", "groups")
SAML_PROVIDER_NAME = env_text("SAML_PROVIDER_NAME", "SAML single sign-on")
SAML_IDP_METADATA_URL = os.environ.get("SAML_IDP_METADATA_URL", "")
SAML_IDP_METADATA_FILE = os.environ.get("SAML_IDP_METADATA_FILE", "")
# This site's public address (https://backup.example.com): the SAML entity id and the
# assertion consumer service are built from it. Without it, from the request's host.
# Checked as SITE_URL is: without its scheme the provider was told a reply URL that led
# nowhere.
SAML_SP_BASE_URL = (
    env_site_url("SAML_SP_BASE_URL", "") if os.environ.get("SAML_SP_BASE_URL", "").strip() else ""
)
# To sign requests (optional).
SAML_SP_KEY_FILE, SAML_SP_CERT_FILE = env_pair("SAML_SP_KEY_FILE", "SAML_SP_CERT_FILE")
SAML_EMAIL_ATTRIBUTE = env_text("SAML_EMAIL_ATTRIBUTE", "email")
SAML_USERNAME_ATTRIBUTE = env_text("SAML_USERNAME_ATTRIBUTE", "uid")
SAML_GROUPS_ATTRIBUTE = env_text("SAML_GROUPS_ATTRIBUTE", "groups")
SAML_XMLSEC_BINARY = env_text("SAML_XMLSEC_BINARY", "/usr/bin/xmlsec1")
# djangosaml2 keeps the requests in flight in a cookie of its own, which the identity
# provider's cross-site POST must bring back: SameSite=None (with Secure) in production.
SAML_SESSION_COOKIE_SAMESITE = "Lax" if DEBUG else "None"
# The request goes to the provider by redirect (every provider takes it); the answer
# comes back by POST.
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
# Who a signed-in person is here: the mirrored user whose email (or username) equals the
# identity provider's, case-insensitively. Never a second account. Checked here: "upn"
# or "mail" was taken, and every sign-in of both protocols was a 500 (found by an audit).
SSO_MATCH = env_choice("SSO_MATCH", "email", ("email", "username"))
# Identity-provider group names (comma-separated) that give each role at every sign-in.
# None set: single sign-on leaves roles to the admin and assign_role.
SSO_ROLE_GROUPS = {
    "System administrators": env_list("SSO_GROUPS_SYSTEM_ADMINISTRATORS", []),
    "Org managers": env_list("SSO_GROUPS_ORG_MANAGERS", []),
    "Desktop users": env_list("SSO_GROUPS_DESKTOP_USERS", []),
}
# When set, only members of one of these identity-provider groups may sign in; a
# mirrored person outside them loses their access here at their next sign-in.
SSO_ALLOWED_GROUPS = env_list("SSO_ALLOWED_GROUPS", [])
# A person the mirror does not know: refused, unless this lets them in, of no org, with
# the roles their provider groups map to (without one: their own devices only, none).
SSO_ADMIT_UNKNOWN = env_bool("SSO_ADMIT_UNKNOWN", False)
# A session started by single sign-on lasts this long; then the identity provider is
# asked again (and may say no). From 1: with 0 every session ended at its sign-in, and
# the next request was refused, a loop back to the provider (found by an audit).
SSO_SESSION_HOURS = env_int("SSO_SESSION_HOURS", 10, minimum=1)
# SCIM 2.0 under /scim/v2/ (accounts.sso.scim): the bearer token the identity provider's
# provisioning sends, so that a person it unassigns or deactivates loses every way in at
# once. Unset: off. The token is all that guards ending people's access, so a short
# one (a guessable word) stops the start.
SCIM_TOKEN = scim_token("SCIM_TOKEN")

LANGUAGE_CODE = "en-us"
# Dates as the product writes them wherever Django formats one itself (the admin).
FORMAT_MODULE_PATH = ["backupreport.formats"]
# Mixed into every ModelAdmin (accounts.admin_site): lists in the product's formats.
ADMIN_MODEL_MIXINS = ["reports.admin_formats.ProductFormats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic gathers the files WhiteNoise serves. A setting so that a second
# instance from the same checkout (the suite's own `make run`) collects apart: one
# collectstatic rewriting the hashed files while another process scans them failed a
# test run (2026-12-05).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Backup health: a device is in warning after this many days without a completed
# backup, critical after the second number. One home for the rule: reports.health.
BACKUP_WARNING_DAYS = env_int("BACKUP_WARNING_DAYS", 3)
BACKUP_CRITICAL_DAYS = env_int("BACKUP_CRITICAL_DAYS", 7)
# Equal leaves no warning band; a warning after critical made the bands overlap, and a
# device was counted in both (found by an audit).
if BACKUP_WARNING_DAYS > BACKUP_CRITICAL_DAYS:
    raise ImproperlyConfigured(
        f"BACKUP_WARNING_DAYS ({BACKUP_WARNING_DAYS}) must not be more than "
        f"BACKUP_CRITICAL_DAYS ({BACKUP_CRITICAL_DAYS})."
    )
# Compliance by org colours each org against this share (percent) of its active devices
# backed up within BACKUP_WARNING_DAYS: met, or missed.
COMPLIANCE_TARGET_PERCENT = env_int("COMPLIANCE_TARGET_PERCENT", 95)

# Keeping the data fresh (reports.refresh). The sync signs in to the vendor at VENDOR_URL
# as an API client (id and secret) or a local account (username and password); each
# request waits VENDOR_TIMEOUT_SECONDS at most, and a 429, a 5xx or a broken connection is
# tried VENDOR_ATTEMPTS times in all, VENDOR_RETRY_SECONDS doubling between tries, or as
# long as Retry-After says, up to VENDOR_RETRY_AFTER_MAX_SECONDS. The overview warns when
# the last successful import or sync is older than DATA_STALE_HOURS.
VENDOR_URL = os.environ.get("VENDOR_URL", "")
VENDOR_CLIENT_ID = os.environ.get("VENDOR_CLIENT_ID", "")
VENDOR_CLIENT_SECRET = os.environ.get("VENDOR_CLIENT_SECRET", "")
VENDOR_USERNAME = os.environ.get("VENDOR_USERNAME", "")
VENDOR_PASSWORD = os.environ.get("VENDOR_PASSWORD", "")
VENDOR_TIMEOUT_SECONDS = env_int("VENDOR_TIMEOUT_SECONDS", 60)
VENDOR_ATTEMPTS = env_int("VENDOR_ATTEMPTS", 5, minimum=1)
VENDOR_RETRY_SECONDS = env_seconds("VENDOR_RETRY_SECONDS", 2)
VENDOR_RETRY_AFTER_MAX_SECONDS = env_int("VENDOR_RETRY_AFTER_MAX_SECONDS", 300)
# The longest a whole sync's conversation with the vendor may take, its retries and waits
# included: a vendor that trickles its answer gives up the sync (and its lock) then.
VENDOR_DEADLINE_SECONDS = env_int("VENDOR_DEADLINE_SECONDS", 3600, minimum=1)
DATA_STALE_HOURS = env_int("DATA_STALE_HOURS", 26)
# /metrics (reports.integrations): per-org series for the orgs down to this depth (1: the
# top-level orgs), and an org manager's own org however deep. 8 series an org.
METRICS_ORG_DEPTH = env_int("METRICS_ORG_DEPTH", 2, minimum=1)
# Webhooks (reports.integrations): a receiver has this long to answer; a failure is
# tried again after WEBHOOK_RETRY_SECONDS, doubling, WEBHOOK_ATTEMPTS tries in all.
# From 1: with 0, urllib3 refused every delivery before it was sent (found by an audit).
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
WEBHOOK_RETRY_SECONDS = env_int("WEBHOOK_RETRY_SECONDS", 60)
WEBHOOK_ATTEMPTS = env_int("WEBHOOK_ATTEMPTS", 6, minimum=1)
# A whole-fleet import (an upload, `import_backup_report --mirror`, the sync) that would
# remove more than this share of the devices, or any org, asks first: a second
# confirmation, or --allow-mass-removal (reports.importing.mass_removal). 100: no share.
MIRROR_REMOVAL_LIMIT_PERCENT = env_int("MIRROR_REMOVAL_LIMIT_PERCENT", 10)

# Backup health history (reports.history): daily snapshots per org are kept this many
# days (today included); `manage.py snapshot_health` removes older ones. At least 31:
# compliance compares now with the snapshot 30 days before the latest, and 0 had
# snapshot_health remove the snapshot it had just taken.
HISTORY_DAYS = env_int("HISTORY_DAYS", 400, minimum=31)

# What runs after new data is in (reports.pipeline): after every successful import,
# upload, sync and rebuild, and the daily snapshot, these steps in this order. A step's
# failure is logged and noted on the run (Run.after_refresh); it never undoes the
# import, and the next step still runs. Wiring, not configuration: a new step is a line.
AFTER_REFRESH = [
    "reports.history.snapshots.take_snapshot",  # today's health snapshot (not on a rebuild)
    "reports.warming.warm.warm_figures",  # every scope's first figures, the new snapshot's too
    "reports.integrations.events.webhook_events",  # webhook events found, sent by the worker
]

# The figures computed ahead for every role scope after each refresh (reports.warming),
# each feature's own: a page's new figure goes into its feature's figures.warm(); a
# feature with figures of its own adds its warm() here. Wiring, not configuration.
WARMED_FIGURES = [
    "reports.dashboards.figures.warm",  # the overview, each report's default totals
    "reports.history.figures.warm",  # the 90-day trend, compliance by org's top level
    "reports.integrations.figures.warm",  # /metrics' org figures
]
# Warmed once for all scopes: figures each page reads within its viewer's reach.
WARMED_FLEET_FIGURES = [
    "reports.history.figures.warm_fleet",  # every org's health: compliance's "now"
]

# Email (reports.notifications: owner alerts and digests). With EMAIL_HOST set, Django's
# SMTP backend; unset, messages go to the console (a demo needs no mail server), or to
# files in EMAIL_FILE_PATH when that is set. SITE_URL makes the links in a message
# absolute ("https://backup.example.com", no trailing slash).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    # Django refuses the pair at the first send only, "mutually exclusive": every mail
    # of the day failed where the start could have said it (found by an audit).
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS and EMAIL_USE_SSL are both on: STARTTLS (port 587) or implicit "
        "TLS (port 465), one of them."
    )
# From 1: at 0 every message failed at its send, "Non-blocking socket (timeout=0) is not
# supported", where the start could have said it (found by an audit of section 10).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
    if EMAIL_FILE_PATH
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = EMAIL_HOST or "localhost"
DEFAULT_FROM_EMAIL = env_text("DEFAULT_FROM_EMAIL", "Backup Report <backup-report@localhost>")
# The default suits development only: `check --deploy` warns while it is a loopback
# address (accounts.checks).
SITE_URL = env_site_url("SITE_URL", "http://127.0.0.1:8000")
# Subscriptions (reports.notifications.subscriptions): past this size (in bytes, or in
# rows) a list is not attached but linked, signed, for this many days.
SUBSCRIPTION_ATTACHMENT_BYTES = env_int("SUBSCRIPTION_ATTACHMENT_BYTES", 5 * 1024 * 1024)
SUBSCRIPTION_ATTACHMENT_ROWS = env_int("SUBSCRIPTION_ATTACHMENT_ROWS", 10_000)
SUBSCRIPTION_LINK_DAYS = env_int("SUBSCRIPTION_LINK_DAYS", 7)

# API tokens (accounts.tokens): how long a token from /api/v3/oauth/token or
# /api/v3/auth/jwt lasts. The vendor's SDK asks for a new one when a token is refused.
# At least a second (at 0 each token was expired when issued, and refused with a bare
# 401), at most a year (one past the calendar failed every token request with a 500).
API_TOKEN_SECONDS = env_int("API_TOKEN_SECONDS", 900, minimum=1, maximum=365 * 24 * 3600)

# Background jobs (reports.refresh.jobs): the Sync now button and uploads run on the
# worker process (`manage.py db_worker`, started by `make run`), queued in the database.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Uploaded files wait here for their check and for confirmation; the worker reads them,
# so on more than one machine it is shared storage. Also the jobs' progress files.
UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR") or BASE_DIR / "uploads")
UPLOAD_MAX_MEGABYTES = env_int("UPLOAD_MAX_MEGABYTES", 2048)

# Only the benchmark sets it: a file holding an API page, served from memory at
# /bench/reference-page as the web stack's ceiling (backupreport.bench_reference).
BENCH_REFERENCE_PAGE = os.environ.get("BENCH_REFERENCE_PAGE", "")

# Brute-force protection (accounts.lockout, django-axes): after LOGIN_FAILURE_LIMIT
# failed sign-ins for one username or from one address, sign-in for it is refused for
# LOGIN_LOCKOUT_MINUTES after the last failure (refused attempts do not extend it).
# Behind reverse proxies, PROXY_COUNT says how many append to X-Forwarded-For, so that
# the address counted is the caller's and not the proxy's. At least one failure (at 0
# everyone was locked out before failing once), and a lock of at most a year (one of
# thousands of years reached back before the calendar: every sign-in was a 500).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(
    minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, maximum=365 * 24 * 60)
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.addresses.client_address"
AXES_USERNAME_CALLABLE = "accounts.lockout.recorded_username"
# axes' database handler (lockouts shown in the admin), counting a failure and ending its
# password check in one transaction (accounts.password_checks).
AXES_HANDLER = "accounts.lockout.LockoutHandler"
PROXY_COUNT = env_int("PROXY_COUNT", 0)

# The audit log (accounts.audit; README "Audit log"). AUDIT_LOG=0 records nothing (the
# benchmark's figure without it). Events older than AUDIT_RETENTION_DAYS go, whole days
# at a time (audit_prune). With AUDIT_SYSLOG_HOST set, each event is also sent to syslog
# (RFC 5424 over AUDIT_SYSLOG_PROTOCOL udp or tcp, one line of AUDIT_SYSLOG_FORMAT json or
# cef). API page reads are written to the database every AUDIT_READS_FLUSH_SECONDS a
# process, and summarised per caller and hour.
AUDIT_LOG = env_bool("AUDIT_LOG", True)
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 400)
AUDIT_SYSLOG_HOST = os.environ.get("AUDIT_SYSLOG_HOST", "")
AUDIT_SYSLOG_PORT = env_int("AUDIT_SYSLOG_PORT", 514)
# Checked here, once, so that a forwarder never meets another value: the protocols that
# accounts.audit.forwarding.Sender speaks, the formats of accounts.audit.syslog_lines.FORMATS.
AUDIT_SYSLOG_PROTOCOL = env_choice("AUDIT_SYSLOG_PROTOCOL", "udp", ("udp", "tcp"))
AUDIT_SYSLOG_FORMAT = env_choice("AUDIT_SYSLOG_FORMAT", "json", ("json", "cef"))
AUDIT_SYSLOG_TIMEOUT_SECONDS = env_int("AUDIT_SYSLOG_TIMEOUT_SECONDS", 3)
AUDIT_READS_FLUSH_SECONDS = env_int("AUDIT_READS_FLUSH_SECONDS", 30)

# Local accounts (accounts.local_signin, accounts.invitations, accounts.second_factor).
# LOCAL_SIGNIN=0 (with single sign-on) refuses every password but a superuser's, on the
# login page, in the admin and over HTTP Basic: the break-glass accounts. A password
# reset link lasts PASSWORD_RESET_MINUTES, an invitation's set-password link
# INVITATION_DAYS; both work once. TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS=1 makes system
# administrators and superusers who sign in with a password pass a TOTP code too.
LOCAL_SIGNIN = env_bool("LOCAL_SIGNIN", True)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_MINUTES", 60) * 60
INVITATION_SECONDS = env_int("INVITATION_DAYS", 7) * 24 * 3600
TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS = env_bool("TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS", False)
# Local sign-in off without an identity provider lets superusers alone in (and API
# clients): `check --deploy` warns of it (accounts.checks), a start is not refused.
OTP_TOTP_ISSUER = env_text("TOTP_ISSUER", "Backup Report")  # the app's account label
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # no admin page shows a TOTP key (accounts.admin)

# Content-Security-Policy (django-csp): pages load scripts, styles, images and fonts from
# the product's own static files only; no inline script or style, no plugin, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
    }
}


if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"unreachable": {"()": "backupreport.unreachable.UnreachableLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # On the logger, not a handler: with DEBUG on, Django's own console handler of the
    # "django" logger prints the record before the root's handlers see it.
    "loggers": {
        "django.request": {"filters": ["unreachable"]},
        # Django's own handlers of "django" (a console with DEBUG on, mail to ADMINS,
        # which is not set) printed each of its records twice under `make run`: once
        # there and once at the root's console, where they go with DEBUG off too.
        "django": {"handlers": []},
    },
    # A level of another name was Python's "Unable to configure root logger", naming no
    # setting (found by an audit).
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "LOG_LEVEL",
            "warning",
            ("debug", "info", "warning", "warn", "error", "critical", "fatal", "notset"),
        ).upper(),
    },
}
