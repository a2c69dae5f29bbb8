"""The flow package is pure: importing it pulls in no web framework, Twilio, Redis or database."""

import subprocess
import sys

FORBIDDEN = {"flask", "werkzeug", "twilio", "redis", "rq", "sqlalchemy", "psycopg", "requests"}


def test_flow_package_imports_nothing_of_the_outside_world():
    code = ("import sys, pkgutil, importlib, ivr.flows\n"
            "for m in pkgutil.iter_modules(ivr.flows.__path__):\n"
            "    importlib.import_module('ivr.flows.' + m.name)\n"
            "print(' '.join(sorted({n.split('.')[0] for n in sys.modules})))")
    loaded = set(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True).stdout.split())
    assert "ivr" in loaded
    assert loaded & FORBIDDEN == set()
