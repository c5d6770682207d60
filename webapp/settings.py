"""LayerLab settings, all from the environment, with defaults that serve a laptop.

SQLite and an embedded Redis-compatible server unless DATABASE_URL / REDIS_URL say otherwise.
A bad value stops the start with ImproperlyConfigured naming the variable.
"""
import json
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false")


def envint(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def database_from_url(url: str) -> dict:
    """Parse sqlite:///path or postgres[ql]://user:pass@host:port/name."""
    parts = urlparse(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("//") else parts.path.lstrip("/"))
        name = path if os.path.isabs(path) else str(BASE_DIR / (path or "var/db.sqlite3"))
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
    if parts.scheme in ("postgres", "postgresql"):
        if not parts.path.strip("/"):
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database")
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.strip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL={url!r}: use sqlite:///path or postgresql://user:pass@host:port/name"
    )


def is_loopback(host: str) -> bool:
    """localhost, 127.x.x.x or ::1 (with or without brackets): names only this machine answers to."""
    host = host.strip().lower().strip("[]")
    return host == "localhost" or host == "::1" or host.startswith("127.") and host.replace(".", "").isdigit()


DEBUG = envbool("DEBUG", "false")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()]
BUILTIN_SECRET_KEY = "layerlab-insecure-local-key-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "") or BUILTIN_SECRET_KEY
# The built-in key only serves a laptop: DEBUG, or a server that answers to loopback names alone
# (ALLOWED_HOSTS makes Django refuse every other Host). A deployment says so explicitly too.
if SECRET_KEY == BUILTIN_SECRET_KEY and not DEBUG and (
        envbool("LAYERLAB_REQUIRE_SECRET_KEY", "false") or not all(map(is_loopback, ALLOWED_HOSTS))):
    raise ImproperlyConfigured("SECRET_KEY must be set: DEBUG is off and ALLOWED_HOSTS names hosts other than "
                               "localhost, 127.0.0.1 and [::1], so the built-in development key would be public")
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

DATA_DIR = Path(os.environ.get("LAYERLAB_DATA_DIR", BASE_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"))}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}
    # Web, worker and heartbeat write at once: IMMEDIATE transactions wait for the write lock
    # instead of failing with "database is locked" when a reader upgrades; WAL lets readers go on.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE",
                                       "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# REDIS_URL is required by the processes that talk to Redis; scripts/run.py sets it to the
# embedded server when the user gives none. Tests fall back to the in-memory channel layer.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL and urlparse(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
    raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r}: use redis://host:port/db or unix:///path")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "drf_spectacular",
    "channels",
    "builder",
    "trainer",
    "classroom",
    "webapp",
]

MIDDLEWARE = [
    # Static files never reach Django: webapp.asgi answers them in front of it (webapp/static.py).
    "webapp.middleware.ApiErrorsMiddleware",  # first: sees every /api/ answer, refuses oversize bodies unread
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]


def _nosniff(headers, path: str, url: str) -> None:
    """What SecurityMiddleware adds to other answers: static files never reach it."""
    headers["X-Content-Type-Options"] = "nosniff"


WHITENOISE_ADD_HEADERS_FUNCTION = _nosniff

ROOT_URLCONF = "webapp.urls"
ASGI_APPLICATION = "webapp.asgi.application"
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
            ]
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Served by WhiteNoise (webapp/static.py) from STATIC_ROOT, filled by `manage.py collectstatic`:
# our static/, drawflow from node_modules, and the partial plotly.js bundle that
# scripts/build_plotly.mjs builds into build/plotly/ (`make node`). Nothing third-party is vendored.
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor/drawflow/dist", BASE_DIR / "node_modules" / "drawflow" / "dist"),
                    ("plotly", BASE_DIR / "build" / "plotly")]
# A build product of this tree (like build/plotly), so it does not depend on LAYERLAB_DATA_DIR.
STATIC_ROOT = Path(os.environ.get("LAYERLAB_STATIC_ROOT", BASE_DIR / "build" / "staticfiles"))
STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "webapp.static.StaticStorage"}}
MEDIA_ROOT = DATA_DIR / "media"
# Built-in datasets are generated once and cached here (shared by web and workers).
LAYERLAB_DATASET_CACHE = Path(os.environ.get("LAYERLAB_DATASET_CACHE", DATA_DIR / "datasets-cache"))


def dataset_mirror(value: str) -> str | None:
    """A folder or an http(s) URL holding the downloadable built-ins' original files."""
    value = value.strip()
    if not value or value.startswith(("http://", "https://")):
        return value or None
    if not Path(value).is_dir():
        raise ImproperlyConfigured(f"LAYERLAB_DATASET_MIRROR={value!r} is neither an http(s) URL nor a folder")
    return value


def dataset_checksums(path: str) -> dict:
    """An optional JSON file {"<dataset>/<filename>": md5} replacing the canonical checksums."""
    if not path:
        return {}
    try:
        table = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"LAYERLAB_DATASET_CHECKSUMS={path!r} is not a readable JSON file: {exc}") from None
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ImproperlyConfigured(f"LAYERLAB_DATASET_CHECKSUMS={path!r} must hold an object of md5 strings")
    return table


# Downloadable built-ins (mnist, cifar10, ...): the mirror is tried first, then the internet.
LAYERLAB_DATASET_MIRROR = dataset_mirror(os.environ.get("LAYERLAB_DATASET_MIRROR", ""))
LAYERLAB_DATASET_INTERNET = envbool("LAYERLAB_DATASET_INTERNET", "true")
LAYERLAB_DATASET_CHECKSUMS = dataset_checksums(os.environ.get("LAYERLAB_DATASET_CHECKSUMS", ""))
LAYERLAB_DOWNLOAD_QUEUE = os.environ.get("LAYERLAB_DOWNLOAD_QUEUE", "training").strip() or "training"

REST_FRAMEWORK = {
    # JSON nested deeper than LAYERLAB_MAX_JSON_DEPTH is refused with a 400 before any view sees it.
    "DEFAULT_PARSER_CLASSES": [
        "webapp.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "webapp.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "trainer.pagination.HeaderPagination",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # ?format= names a weights format (api.md), not a DRF renderer.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LayerLab API",
    "DESCRIPTION": "Design, train and download neural networks. See shared/spec/api.md.",
    "VERSION": "1",
}

if REDIS_URL:
    # redis-py 8 times socket reads out after 5 s, the same as channels_redis's blocking pop: a
    # websocket watching a quiet run (a long epoch, a lost worker) would crash. Give reads room.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                  "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ROUTES = {"trainer.fetch_tasks.*": {"queue": LAYERLAB_DOWNLOAD_QUEUE},
                      "trainer.*": {"queue": "training"}}
CELERY_IMPORTS = ("trainer.fetch_tasks",)  # autodiscovery finds only tasks.py modules
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("LAYERLAB_VISIBILITY_TIMEOUT", 86400, 60)}

# Limits on what users may send.
LAYERLAB_MAX_NODES = envint("LAYERLAB_MAX_NODES", 500, 1)
LAYERLAB_MAX_PARAMS = envint("LAYERLAB_MAX_PARAMS", 50_000_000, 1)
LAYERLAB_MAX_UPLOAD_MB = envint("LAYERLAB_MAX_UPLOAD_MB", 100, 1)
LAYERLAB_MAX_IMPORT_MB = envint("LAYERLAB_MAX_IMPORT_MB", 100, 1)  # largest model file imported into the editor
LAYERLAB_MAX_DATASET_VALUES = envint("LAYERLAB_MAX_DATASET_VALUES", 200_000_000, 1)  # numbers in one uploaded dataset
LAYERLAB_MAX_EXPORT_MB = envint("LAYERLAB_MAX_EXPORT_MB", 512, 1)  # estimated memory of one ONNX/TorchScript export
LAYERLAB_MAX_JSON_DEPTH = envint("LAYERLAB_MAX_JSON_DEPTH", 64, 2)
LAYERLAB_MAX_EPOCHS = envint("LAYERLAB_MAX_EPOCHS", 500, 1)
# A lab's limits when its teacher sets none (max_params and max_epochs default to the two above).
LAYERLAB_LAB_MAX_RUNS = envint("LAYERLAB_LAB_MAX_RUNS", 100, 1)
LAYERLAB_LAB_MAX_QUEUED = envint("LAYERLAB_LAB_MAX_QUEUED", 2, 1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
# A running run whose worker sends no heartbeat for this long is failed as "worker lost" by the
# sweep, which every training worker runs at start-up and every heartbeat interval.
LAYERLAB_HEARTBEAT_TIMEOUT = envint("LAYERLAB_HEARTBEAT_TIMEOUT", 30, 2)
LAYERLAB_HEARTBEAT_INTERVAL = max(1, LAYERLAB_HEARTBEAT_TIMEOUT // 3)

# Runs trained at once by one worker machine (Celery processes; each holds its own model and data
# on the device), and training slots in the whole deployment (machines x runs per worker).
LAYERLAB_RUNS_PER_WORKER = envint("LAYERLAB_RUNS_PER_WORKER", 1, 1)
LAYERLAB_TRAINING_SLOTS = envint("LAYERLAB_TRAINING_SLOTS", LAYERLAB_RUNS_PER_WORKER, 1)
# CPU threads a training process's PyTorch uses. By default the machine's cores less one, shared
# between the runs a worker trains at once: on a machine that also serves the pages (`make run`),
# a run on the CPU must leave the web server a core, or 60 students opening their pages wait on it.
LAYERLAB_TORCH_THREADS = envint("LAYERLAB_TORCH_THREADS",
                                max(1, ((os.cpu_count() or 2) - 1) // LAYERLAB_RUNS_PER_WORKER), 1)
# Per user and per run (each refusal names its setting).
LAYERLAB_MAX_WAITING_PER_USER = envint("LAYERLAB_MAX_WAITING_PER_USER", 3, 1)
LAYERLAB_MAX_RUNNING_PER_USER = envint("LAYERLAB_MAX_RUNNING_PER_USER", 1, 1)
LAYERLAB_MAX_RUN_SECONDS = envint("LAYERLAB_MAX_RUN_SECONDS", 3600, 1)
LAYERLAB_MAX_RUN_MEMORY_MB = envint("LAYERLAB_MAX_RUN_MEMORY_MB", 4096, 1)
LAYERLAB_MAX_STORAGE_MB = envint("LAYERLAB_MAX_STORAGE_MB", 1024, 1)
LAYERLAB_PAGE_SIZE = envint("LAYERLAB_PAGE_SIZE", 100, 1)

# Login lockout (django-axes): the session login page and POST /api/auth/token/ both authenticate
# through AxesStandaloneBackend, which refuses a username from one address after too many failures.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = envint("LAYERLAB_LOGIN_FAILURES", 5, 1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LAYERLAB_LOGIN_COOLOFF_MINUTES", 15, 1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # a class behind one NAT address is not locked out together
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

# Behind a TLS-terminating proxy (docker-compose.yml): HTTPS only, HSTS, cookies never sent in clear.
LAYERLAB_HTTPS = envbool("LAYERLAB_HTTPS", "false")
if LAYERLAB_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("LAYERLAB_HSTS_SECONDS", 31_536_000, 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
