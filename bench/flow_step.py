"""Server time of a flow step against a bare Flask app returning fixed TwiML.

Both run under gunicorn with the same settings (ivr/gunicorn_conf.py: 2 processes, 8 threads),
on this machine, in the same run; requests alternate between them so machine noise hits both.
Our side does the real work of a call: signature check, caller lookup in the customer record,
flow engine, call state read and written in the database.

    .venv/bin/python -m bench.flow_step --db postgresql --calls 500
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench.processes import ADMIN_URL, free_port, fresh_database, wait_for
from core import migrate
from ivr.twilio.simulator import signed_headers

ROOT = Path(__file__).resolve().parent.parent
SID, TOKEN = "AC" + "5" * 32, "bench-token"


def database(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        migrate.upgrade(url)
        return url
    return fresh_database(ADMIN_URL, "ivr_bench_flow")


def start(app: str, port: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--config",
                                "python:core.gunicorn_conf", app], cwd=ROOT,
                               env={**env, "PORT": str(port)}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", seconds=30, ready=lambda _: True,
                 process=process)
    except RuntimeError as exc:
        raise SystemExit(f"{app} did not start: {exc}") from None
    return process


def timed(http: requests.Session, url: str, data: dict, headers: dict) -> float:
    started = time.perf_counter()
    response = http.post(url, data=data, headers=headers, timeout=10)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200 or "<Response>" not in response.text:
        raise SystemExit(f"{url} answered {response.status_code}: {response.text[:200]}")
    return elapsed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--call-state-commit", choices=("async", "sync"), default="async",
                        help="CALL_STATE_COMMIT of our server (async is the default)")
    args = parser.parse_args()
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"ivr-bench-{secrets.token_hex(3)}"
    tmp.mkdir(parents=True)
    db_url = database(args.db, tmp)
    ours_port, bare_port = free_port(), free_port()
    env = {**os.environ, "IVR_ENV": "production", "TWILIO_ACCOUNT_SID": SID,
           "TWILIO_AUTH_TOKEN": TOKEN, "API_TOKEN": "x", "SECRET_KEY": "x",
           "DATABASE_URL": db_url, "REDIS_URL": "redis://127.0.0.1:6379/14",
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{ours_port}", "FLOWS_DIR": str(ROOT / "bench" / "flows"),
           "IVR_DATA_DIR": str(tmp), "LOG_LEVEL": "WARNING", "WEB_CONCURRENCY": "2",
           "CALL_STATE_COMMIT": args.call_state_commit}
    ours = start('core.web.app:create_app()', ours_port, env)
    bare = start("bench.bare_app:app", bare_port, {**env, "PYTHONPATH": str(ROOT)})
    results = {"ours: call arrives (/twilio/voice)": [], "ours: menu key (/twilio/step)": [],
               "bare Flask, fixed TwiML": []}
    try:
        http = requests.Session()
        base = f"http://127.0.0.1:{ours_port}"
        for i in range(args.calls + 20):   # the first 20 warm both servers up
            sid = "CA" + secrets.token_hex(16)
            voice = {"AccountSid": SID, "CallSid": sid, "From": f"+8190{i:08d}",
                     "To": "+81312345678", "CallStatus": "ringing"}
            step = {"AccountSid": SID, "CallSid": sid, "From": voice["From"],
                    "To": voice["To"], "Digits": "3"}
            samples = [
                timed(http, f"{base}/twilio/voice", voice,
                      signed_headers(TOKEN, f"{base}/twilio/voice", voice)),
                timed(http, f"http://127.0.0.1:{bare_port}/twilio/voice", voice, {}),
                timed(http, f"{base}/twilio/step?t=1&on=gather", step,
                      signed_headers(TOKEN, f"{base}/twilio/step?t=1&on=gather", step)),
                timed(http, f"http://127.0.0.1:{bare_port}/twilio/step", step, {}),
            ]
            if i >= 20:
                results["ours: call arrives (/twilio/voice)"].append(samples[0])
                results["ours: menu key (/twilio/step)"].append(samples[2])
                results["bare Flask, fixed TwiML"] += [samples[1], samples[3]]
    finally:
        ours.terminate()
        bare.terminate()
        ours.wait()
        bare.wait()
    report(args, results)


def report(args, results: dict[str, list[float]]) -> None:
    bare = results["bare Flask, fixed TwiML"]
    print(f"command: .venv/bin/python -m bench.flow_step --db {args.db} --calls {args.calls} "
          f"--call-state-commit {args.call_state_commit}")
    print(f"{'endpoint':40} {'n':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'mean':>8} "
          f"{'x bare p50':>10} {'x bare p99':>10}")
    for name, values in results.items():
        print(f"{name:40} {len(values):5d} {percentile(values, 50):8.2f} "
              f"{percentile(values, 90):8.2f} {percentile(values, 99):8.2f} "
              f"{statistics.fmean(values):8.2f} "
              f"{percentile(values, 50) / percentile(bare, 50):10.2f} "
              f"{percentile(values, 99) / percentile(bare, 99):10.2f}")


if __name__ == "__main__":
    main()
