"""Test settings: the real settings module, with test keys, an immediate queue and a file
database that subprocesses (a real worker) can open too."""

import os
import tempfile

os.environ.setdefault("PINGJIA_DATA_DIR", tempfile.mkdtemp(prefix="pingjia-test-"))
os.environ.setdefault("PINGJIA_SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ.setdefault("PINGJIA_FIELD_KEYS", "dGVzdC1maWVsZC1rZXktMDEyMzQ1Njc4OWFiY2RlZjA=")
os.environ.setdefault("PINGJIA_LOOKUP_KEY", "test-lookup-key")

from pingjia.settings import *
from pingjia.settings import DATA_DIR, DATABASES, STATIC_ROOT

STATIC_ROOT.mkdir(parents=True, exist_ok=True)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
HUEY = {"huey_class": "huey.MemoryHuey", "name": "pingjia-test", "immediate": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
