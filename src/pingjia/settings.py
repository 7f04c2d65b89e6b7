"""Pingjia settings, read from environment variables.

With no variables at all this is the embedded setup: SQLite and the task queue in a local data
folder, secrets generated into that folder on first start, mail printed to the console. Production
differs only by variables (see the README's configuration table); what it must set and did not
fails here, at start, with a message that says what to set.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
_checkout = PACKAGE_DIR.parents[1]
CHECKOUT_DIR = _checkout if (_checkout / "pyproject.toml").exists() else Path.cwd()


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: expected true or false.")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


DATA_DIR = Path(env_str("PINGJIA_DATA_DIR") or CHECKOUT_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)  # queue file, cache, static files live here too
DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")
EMBEDDED = not DATABASE_URL

# --- secrets -----------------------------------------------------------------------------------
# Embedded: generated once into DATA_DIR/secrets.json. Otherwise several machines share one
# database, so every one of them must be given the same values explicitly.
SECRET_VARIABLES = ("PINGJIA_SECRET_KEY", "PINGJIA_FIELD_KEYS", "PINGJIA_LOOKUP_KEY")
KEY_HINT = (
    'python3 -c "import base64,secrets; '
    'print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())"'
)


def _new_key() -> str:
    import base64

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _embedded_secrets() -> dict[str, str]:
    """The secrets of this data folder, made by whichever process starts first: the file is
    created exclusively, so a web process and a worker starting together agree on the keys."""
    path = DATA_DIR / "secrets.json"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _attempt in range(50):  # the creator may still be writing
            text = path.read_text()
            if text:
                stored: dict[str, str] = json.loads(text)
                break
            time.sleep(0.1)
        else:
            raise ImproperlyConfigured(f"{path} is empty: remove it to make new keys.") from None
    else:
        stored = {name: _new_key() for name in SECRET_VARIABLES}
        with os.fdopen(descriptor, "w") as file:
            file.write(json.dumps(stored, indent=2))
    missing = [name for name in SECRET_VARIABLES if name not in stored]
    if missing:
        raise ImproperlyConfigured(f"{path} lacks {', '.join(missing)}: add them or remove it.")
    return stored


def _secrets() -> dict[str, str]:
    given = {name: env_str(name) for name in SECRET_VARIABLES if env_str(name)}
    if len(given) == len(SECRET_VARIABLES):
        return given
    if EMBEDDED:
        return {**_embedded_secrets(), **given}
    missing = ", ".join(name for name in SECRET_VARIABLES if name not in given)
    raise ImproperlyConfigured(
        f"DATABASE_URL is set, so these must be set too, with the same values on every machine: "
        f"{missing}. Make each with: {KEY_HINT}"
    )


_secret_values = _secrets()
SECRET_KEY = _secret_values["PINGJIA_SECRET_KEY"]
# Personal-data encryption keys, newest first: new values are encrypted with the first one,
# older ones still decrypt (rotation: `pingjia reencrypt`).
PINGJIA_FIELD_KEYS = [k.strip() for k in _secret_values["PINGJIA_FIELD_KEYS"].split(",") if k]
# Key of the keyed hash beside each encrypted value; never rotated, or exact look-ups break.
PINGJIA_LOOKUP_KEY = _secret_values["PINGJIA_LOOKUP_KEY"]

# --- core ----------------------------------------------------------------------------------------
DEBUG = env_bool("PINGJIA_DEBUG")
ALLOWED_HOSTS = env_list("PINGJIA_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("PINGJIA_CSRF_TRUSTED_ORIGINS", [])
ROOT_URLCONF = "pingjia.urls"
WSGI_APPLICATION = "pingjia.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "template_partials",
    "huey.contrib.djhuey",
    "pingjia.core",
    "pingjia.accounts",
    "pingjia.reviews",
    "pingjia.analysis",
    "pingjia.cases",
    "pingjia.notifications",
    "pingjia.metrics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "pingjia.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pingjia.api.errors.ErrorShapeMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pingjia.core.context_processors.layout",
                "pingjia.notifications.context_processors.unread",
            ],
        },
    }
]

# --- database ------------------------------------------------------------------------------------
if EMBEDDED:
    DATABASES: dict[str, dict[str, Any]] = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "pingjia.sqlite3",
        }
    }
else:
    DATABASES = {"default": dict(dj_database_url.parse(DATABASE_URL, conn_max_age=60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web process read while the worker writes; IMMEDIATE takes the write lock
        # at BEGIN, so two writers wait for each other instead of failing halfway. Temporary
        # storage in memory: every INSERT of a review (trigger, constraints) journals the pages
        # it changes until it ends, and on disk those were 26 writes a row of an import.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                        "PRAGMA temp_store=MEMORY;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# --- cache ---------------------------------------------------------------------------------------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL, "KEY_PREFIX": "pingjia"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(DATA_DIR / "cache")}}

# --- background work -----------------------------------------------------------------------------
QUEUE_NAME = env_str("PINGJIA_QUEUE_NAME", "pingjia")
_consumer = {
    "workers": env_int("PINGJIA_WORKER_THREADS", 2),
    "worker_type": "thread",
    "check_worker_health": True,
}
if REDIS_URL:
    HUEY: dict[str, Any] = {"huey_class": "huey.RedisHuey", "name": QUEUE_NAME,
                            "url": REDIS_URL, "immediate": False, "consumer": _consumer}
else:
    HUEY = {"huey_class": "huey.SqliteHuey", "name": QUEUE_NAME,
            "filename": str(DATA_DIR / "queue.sqlite3"), "immediate": False,
            "consumer": _consumer}

# --- auth ----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["pingjia.accounts.backends.RoleBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PINGJIA_LOGIN_MAX_FAILURES = env_int("PINGJIA_LOGIN_MAX_FAILURES", 5)
PINGJIA_LOGIN_LOCK_MINUTES = env_int("PINGJIA_LOGIN_LOCK_MINUTES", 15)
SESSION_COOKIE_AGE = env_int("PINGJIA_SESSION_HOURS", 12) * 3600

# --- HTTPS behind a proxy ------------------------------------------------------------------------
if env_bool("PINGJIA_HTTPS"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- language and time ---------------------------------------------------------------------------
LANGUAGE_CODE = env_str("PINGJIA_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English"), ("zh-hant", "繁體中文")]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"PINGJIA_LANGUAGE={LANGUAGE_CODE!r}: expected one of {', '.join(dict(LANGUAGES))}."
    )
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("PINGJIA_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static and uploaded files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(env_str("PINGJIA_STATIC_ROOT") or DATA_DIR / "static")
MEDIA_ROOT = Path(env_str("PINGJIA_MEDIA_ROOT") or DATA_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


# --- mail ----------------------------------------------------------------------------------------
def _email_settings(url: str) -> dict[str, Any]:
    """`console:` (default), `smtp://user:password@host:587?tls=1` or `smtps://…:465`."""
    if not url or url.startswith("console:"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(
            f"PINGJIA_EMAIL_URL scheme {parts.scheme!r}: expected console:, smtp:// or smtps://."
        )
    query = parse_qs(parts.query)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": query.get("tls", ["0"])[0] in {"1", "true"},
        "EMAIL_TIMEOUT": 15,
    }


globals().update(_email_settings(env_str("PINGJIA_EMAIL_URL")))
DEFAULT_FROM_EMAIL = env_str("PINGJIA_EMAIL_FROM", "pingjia@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- logging -------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("PINGJIA_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # With a handler of its own configured, the consumer does not add a second one.
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Pingjia -------------------------------------------------------------------------------------
# Bearer tokens: how often a token's last-used time is written (at most once per this many s).
PINGJIA_TOKEN_TOUCH_SECONDS = 60
# Where customers reach this installation (QR codes, invitation links), e.g.
# https://pingjia.example.com; unset: the address the staff member is using.
PINGJIA_PUBLIC_URL = env_str("PINGJIA_PUBLIC_URL").rstrip("/")
# The public review form: submissions accepted per IP address and per store in 10 minutes.
PINGJIA_FORM_LIMIT_PER_IP = env_int("PINGJIA_FORM_LIMIT_PER_IP", 5)
PINGJIA_FORM_LIMIT_PER_STORE = env_int("PINGJIA_FORM_LIMIT_PER_STORE", 60)
# Largest file the import page accepts (the command line has no limit).
PINGJIA_IMPORT_MAX_MB = env_int("PINGJIA_IMPORT_MAX_MB", 200)
