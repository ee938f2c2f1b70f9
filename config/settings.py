"""Settings, all from the environment (django-environ).

With no environment at all the app runs for development: SQLite file under var/, Celery eager,
local media storage, DEBUG on and a generated secret kept in var/. `DJANGO_ENV=production` turns on
every `check --deploy` setting and requires SECRET_KEY and ALLOWED_HOSTS.
"""

import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DJANGO_ENV = env("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)


def _dev_secret() -> str:
    # A stable secret per checkout so that sessions survive restarts in development.
    path = VAR_DIR / "dev-secret"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY") if PRODUCTION else env("SECRET_KEY", default=None) or _dev_secret()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The reverse proxies (nginx) whose X-Real-IP header gives the client's address
# (config/middleware.py); none by default: REMOTE_ADDR as the server saw it.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "import_export",  # the admin's 导入/导出 buttons (a front end to imports' engine)
    "core",
    "budgets",
    "evaluations",
    "imports",
    "reporting",
    "demo",
]

MIDDLEWARE = [
    "config.middleware.HealthCheckMiddleware",  # /healthz, before anything else
    "config.middleware.ProxiedClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "config.middleware.MethodNotAllowedPageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # every UserError (a refusal in Chinese) answered one way: message and redirect, or a 400
    "core.errors.UserErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "budgets.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # a PostgreSQL connection is a server process: each web and worker process keeps its own
    # for DB_CONN_MAX_AGE seconds instead of starting one per request (checked before reuse)
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # reads a decimal that overflows its column without failing (see config/sqlite/base.py)
    DATABASES["default"]["ENGINE"] = "config.sqlite"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}


def s3_storage(endpoint_url, bucket, access_key, secret_key, region, addressing_style, expire):
    """Exports, evidence and import uploads in an S3-compatible store (MinIO, Ceph RGW,
    SeaweedFS), by django-storages. Never overwrite: two uploads of one name get two objects.
    Objects stay private; a signed URL lives `expire` seconds. A file read through the app is
    kept in memory up to 5 MB, beyond that in a temporary file. A store that does not answer
    fails a request within seconds (5 s to connect, 3 attempts), well inside gunicorn's timeout."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "endpoint_url": endpoint_url,
            "bucket_name": bucket,
            "access_key": access_key,
            "secret_key": secret_key,
            "region_name": region,
            "client_config": Config(
                s3={"addressing_style": addressing_style},
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": expire,
            "max_memory_size": 5 * 1024 * 1024,
        },
    }


# Files on the local disk (MEDIA_ROOT, the default) or in object storage (`STORAGE_BACKEND=s3`).
STORAGE_BACKEND = env("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND not in ("local", "s3"):
    raise ImproperlyConfigured("STORAGE_BACKEND must be local or s3")
if STORAGE_BACKEND == "s3":
    STORAGES["default"] = s3_storage(
        endpoint_url=env("S3_ENDPOINT_URL"),
        bucket=env("S3_BUCKET"),
        access_key=env("S3_ACCESS_KEY"),
        secret_key=env("S3_SECRET_KEY"),
        region=env("S3_REGION", default="us-east-1"),
        addressing_style=env("S3_ADDRESSING_STYLE", default="path"),
        expire=env.int("S3_URL_EXPIRES", default=60),
    )
# Downloads (exports, evidence) are always permission-checked by the app, then streamed by it
# (the default) or, with object storage and S3_REDIRECT_DOWNLOADS, redirected to a signed URL of
# the store valid S3_URL_EXPIRES seconds (the browser must reach S3_ENDPOINT_URL).
S3_REDIRECT_DOWNLOADS = env.bool("S3_REDIRECT_DOWNLOADS", default=False)

# Uploads: the limits of every file a user sends us (imports, evidence).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# An XLSX is a zip: what it may unpack to (declared sizes, checked before parsing).
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=400 * 1024 * 1024)
# What one sheet may hold, counted from its cells with content (a sheet's declared dimension is
# never trusted): sized for a city's year of indicators, refused beyond.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=200)
# Import tasks are stopped past these (seconds): the soft limit fails the job with its reason,
# the hard one kills a task that ignores it; the sweep catches what a killed worker leaves.
IMPORT_TASK_SOFT_TIME_LIMIT = env.int("IMPORT_TASK_SOFT_TIME_LIMIT", default=10 * 60)
IMPORT_TASK_TIME_LIMIT = env.int("IMPORT_TASK_TIME_LIMIT", default=11 * 60)
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A target sheet posts ~12 fields a line and its grid allows 1,000 lines (imports add any number):
# Django's default of 1,000 fields refused a sheet of ~90 lines. The limit guards the parser's
# CPU and memory, which DATA_UPLOAD_MAX_MEMORY_SIZE bounds anyway; 20,000 leaves room for 1,000
# lines of 15 fields and the page's own fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=20_000)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Sessions: idle timeout, renewed on each request.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=2 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Scripts and stylesheets only from our static files: no inline <script>, event handler or
# <style> element anywhere (tests/security/test_web.py checks every page). Inline style
# *attributes* stay allowed (style-src-attr): the standard tables size their columns with them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"

# Login throttle (budgets/login.py): per user name and address; counters in the cache, which
# must be shared (CACHE_URL=redis://…) where several processes serve the site.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Parts of the busiest pages (绩效看板, 审核工作台) are cached under the data generation, so never
# older than the data (core/freshness.py); this bounds only a write made outside Django. 0: off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=600)
# what the code is, in the key of every cached page (servers of different releases share the
# cache during an upgrade); by default read off the source files (core.freshness.release)
RELEASE = env("RELEASE", default="")
# The tables whose writes make a new data generation, and those that do not (the audit log,
# 消息 and profiles, the jobs' progress rows).
DATA_GENERATION_TABLES = ("budgets_", "evaluations_")
DATA_GENERATION_IGNORED = frozenset(
    {
        "budgets_auditlog",
        "budgets_notification",
        "budgets_profile",
        "evaluations_exportjob",
        "evaluations_bulkreviewjob",
    }
)

# E-mail (消息 are also mailed: budgets/notifications.py). The console backend prints mails to
# the server's output; set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the
# EMAIL_* variables for a real server. SITE_URL makes the links in mails absolute.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="jxzp@localhost")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Celery: eager (in-process) unless a broker is configured (`make run` needs no broker).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL.startswith("memory")
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
# Three queues, so that each machine can be given its kind of work (deploy/, README “部署”):
# `imports`, `exports` and `default` (recompute, sweeps). Every task is routed here by name and
# nowhere else (tests/test_celery_config.py fails for a task without a route). A worker started
# without -Q takes all three. CELERY_QUEUE_PREFIX namespaces them (several instances on one Redis
# database; the tests' workers).
CELERY_QUEUE_PREFIX = env("CELERY_QUEUE_PREFIX", default="")
QUEUES = ("imports", "exports", "default")
CELERY_TASK_QUEUES = [Queue(CELERY_QUEUE_PREFIX + name) for name in QUEUES]
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUE_PREFIX + "default"
CELERY_TASK_ROUTES = {
    task: {"queue": CELERY_QUEUE_PREFIX + queue}
    for task, queue in {
        "imports.tasks.import_preview": "imports",
        "imports.tasks.import_commit": "imports",
        "reporting.tasks.run_export": "exports",
        "reporting.tasks.render_export_part": "exports",
        "reporting.tasks.assemble_export": "exports",
        "evaluations.tasks.recompute_year": "default",
        "evaluations.tasks.bulk_review": "default",
        "imports.tasks.sweep_imports": "default",
        "reporting.tasks.sweep_exports": "default",
        "evaluations.tasks.remind_deadlines": "default",
    }.items()
}
# Long tasks: a worker takes one message at a time and acknowledges it when done, so a worker
# that dies gives its message back instead of losing it (the jobs' heartbeats catch the rest).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Time limits (seconds; they need the prefork pool): the soft one stops the task and its job
# fails with the reason in Chinese, the hard one kills a task that did not stop. Imports above;
# exports (a city's PDFs take ~9 minutes on one worker); recompute (a city's year: seconds).
EXPORT_TASK_SOFT_TIME_LIMIT = env.int("EXPORT_TASK_SOFT_TIME_LIMIT", default=30 * 60)
EXPORT_TASK_TIME_LIMIT = env.int("EXPORT_TASK_TIME_LIMIT", default=31 * 60)
# A PDF export of at least this many files of several departments is rendered as a group of
# tasks, one per department, that every exports worker takes a share of (reporting/exports.py)
EXPORT_PDF_PARTS_MIN_FILES = env.int("EXPORT_PDF_PARTS_MIN_FILES", default=30)
RECOMPUTE_TASK_SOFT_TIME_LIMIT = env.int("RECOMPUTE_TASK_SOFT_TIME_LIMIT", default=10 * 60)
RECOMPUTE_TASK_TIME_LIMIT = env.int("RECOMPUTE_TASK_TIME_LIMIT", default=11 * 60)
# 批量审核: up to this many forms in the request, more in a Celery job with progress
BULK_REVIEW_SYNC_LIMIT = env.int("BULK_REVIEW_SYNC_LIMIT", default=200)
BULK_REVIEW_TASK_SOFT_TIME_LIMIT = env.int("BULK_REVIEW_TASK_SOFT_TIME_LIMIT", default=60 * 60)
BULK_REVIEW_TASK_TIME_LIMIT = env.int("BULK_REVIEW_TASK_TIME_LIMIT", default=61 * 60)
# every other task (the sweeps)
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_TIME_LIMIT = 5 * 60
# The beat schedule, in this one place (run one `celery beat` for the whole site: deploy/).
CELERY_BEAT_SCHEDULE = {
    "sweep-exports": {"task": "reporting.tasks.sweep_exports", "schedule": 300.0},
    "sweep-imports": {"task": "imports.tasks.sweep_imports", "schedule": 300.0},
    # the daily deadline reminder (7, 3 and 1 days before); idempotent per user and day
    "remind-deadlines": {
        "task": "evaluations.tasks.remind_deadlines",
        "schedule": crontab(hour=8, minute=0),
    },
}
EXPORT_TTL_HOURS = env.int("EXPORT_TTL_HOURS", default=72)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
