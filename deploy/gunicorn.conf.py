"""Gunicorn settings for one web server: `gunicorn -c deploy/gunicorn.conf.py`.

Everything a site changes comes from the environment (the systemd unit's EnvironmentFile), with
the defaults below. Sync workers: the pages are short database work, and nginx in front buffers
slow clients and large downloads, so a worker is never held by a slow network.
"""

import multiprocessing
import os
from pathlib import Path

wsgi_app = "config.wsgi:application"
chdir = str(Path(__file__).resolve().parent.parent)

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# 2 × cores + 1 is gunicorn's rule of thumb; each worker holds one database connection
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# a request still running after this many seconds is killed (the longest page, a city's 审核工作台
# or a large table, takes well under a second; exports and imports run in Celery)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# recycle a worker now and then (memory held by a large table or file is given back); not too
# often: a new worker costs ~0.8 s of CPU (Django's imports, a new database connection, cold
# caches): every 1,000 requests, that cost the pages up to a quarter of their rate at full load
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10

# one access line a request (stdout: the journal), with the time taken in ms
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# Forwarded headers: only from the proxy's addresses (nginx on the same host by default).
# X-Forwarded-Proto marks a request that came in over HTTPS (Django: SECURE_PROXY_SSL_HEADER);
# the client's address comes in X-Real-IP, read by the app for the same addresses
# (settings.TRUSTED_PROXIES, config/middleware.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
