"""Gunicorn settings from the environment, shared by the Procfile and `ivr serve`."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Evented workers: an open event stream (a desk tab, the wall) is a parked greenlet, not a
# thread, so thousands can stay open while every Twilio webhook is still answered at once.
# (psycopg 3, redis-py and requests all cooperate once gevent has patched the standard
# library, which the gevent worker does before it loads the app.)
worker_class = os.environ.get("WEB_WORKER_CLASS", "gevent")
worker_connections = int(os.environ.get("WEB_CONNECTIONS", "2000"))
threads = int(os.environ.get("WEB_THREADS", "8"))     # used by WEB_WORKER_CLASS=gthread only
# PaaS routers allow ~30 s after SIGTERM: finish in-flight requests, then exit.
graceful_timeout = 25
timeout = 30
keepalive = 5
accesslog = None  # the app logs one line per request itself, with request id and CallSid
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")

_formatter = ("core.logs.LogfmtFormatter" if os.environ.get("LOG_FORMAT", "json") == "logfmt"
              else "core.logs.JsonFormatter")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"()": _formatter}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "line",
                            "stream": "ext://sys.stdout"}},
    "loggers": {"gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False}},
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
