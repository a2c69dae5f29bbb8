"""Gunicorn settings from the environment, shared by the Procfile and `ivr serve`."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads keep long-lived event streams (agent screen-pops) from starving webhook requests.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
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
