"""Gunicorn settings for Inkwell in production: `gunicorn -c deploy/gunicorn.conf.py`.

Sync workers, two per CPU, behind Nginx, which buffers slow clients. Measured
against threaded (gthread) workers on two cores (`make bench-servers`,
BENCHMARKS.md): the same throughput, a lower p99 on every read, and no
keep-alive imbalance. A gthread worker accepts every connection it is
offered and keeps the kept-alive ones, so one worker could hold all of a
client's (or Nginx's) connections while the other idled; a sync worker
takes a connection only when it is free, so the load spreads by itself.
`GUNICORN_THREADS` above 1 still selects gthread workers.

Sizes come from the CPU count and can be overridden from the environment.
The database pool of each worker must hold one connection per thread, so
INKWELL_DB_POOL_SIZE defaults to the thread count here when it is not set.
The app is not preloaded: each worker builds its own app, engine and
connections after the fork, so no connection is ever shared across processes.
"""

import json
import multiprocessing
import os
import shutil
import tempfile

cpus = multiprocessing.cpu_count()

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * cpus))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
wsgi_app = "inkwell:create_app()"

# Each worker thread may hold one connection; bursts may borrow a few more.
os.environ.setdefault("INKWELL_DB_POOL_SIZE", str(threads))
os.environ.setdefault("INKWELL_DB_MAX_OVERFLOW", str(max(2, threads // 2)))

timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 1000))
# Recycle workers now and then so a slow leak can never grow without bound; not
# too often: a worker starts in about 0.7 s of CPU, and at 10,000 requests each
# of two workers restarted every 13 s under a benchmark's load, costing a tenth
# of the machine and every warm cache.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 200_000))
max_requests_jitter = max_requests // 10
preload_app = False
# The request line and headers a reverse proxy forwards (Nginx's default buffers
# hold 8 KB); bodies are limited by the app. Longer request lines get Gunicorn's
# own 414, which the API's OpenAPI document states (inkwell.api.blueprint).
limit_request_line = 8190
limit_request_field_size = 8190

# One JSON object per request on stdout, with the id the app returns.
accesslog = "-"
errorlog = "-"
access_log_format = json.dumps(
    {
        "time": "%(t)s",
        "remote": "%(h)s",
        "method": "%(m)s",
        "path": "%(U)s",
        "query": "%(q)s",
        "status": "%(s)s",
        "bytes": "%(B)s",
        "duration_ms": "%(M)s",
        "duration_us": "%(D)s",
        "request_id": "%({x-request-id}o)s",
        "pid": "%(p)s",
        "user_agent": "%(a)s",
    }
)
# Trust X-Forwarded-* only from the proxy on this machine; the app applies
# ProxyFix for exactly one hop as well.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Prometheus multiprocess mode: each worker writes its samples to files in this
# folder and /metrics merges them. Emptied at start so old workers never count.
metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    os.path.join(tempfile.gettempdir(), f"inkwell-metrics-{os.getpid()}"),
)


def on_starting(server):
    _settings_or_exit()
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def _settings_or_exit():
    """Check the settings once, in the master, before any worker starts: a bad one
    stops Gunicorn with one line naming it, instead of a traceback from every
    worker that tried to build the app."""
    from inkwell.config import ConfigError, Settings, instance_path, process_environ

    environ = process_environ()
    try:
        Settings.from_env(environ, instance_path(environ))
    except ConfigError as err:
        raise SystemExit(f"Error: {err}") from None


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
