"""The dependency rule (pyproject.toml, checked by lint-imports): kept by the code as it is,
and each contract really fails when the code breaks it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = str(Path(sys.executable).parent / "lint-imports")
PACKAGES = ("core", "crm_link", "voicemail", "transcription", "ivr", "desk", "supervisor",
            "tests")


def lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT, "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "250"})


def verdicts(output: str) -> dict[str, str]:
    """Contract name -> KEPT or BROKEN, from lint-imports' report."""
    found = {}
    for line in output.splitlines():
        for verdict in ("KEPT", "BROKEN"):
            if f" {verdict}" in line:
                found[line.split(f" {verdict}")[0].strip()] = verdict
    return found


def test_the_code_keeps_every_contract():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(verdicts(result.stdout)) == 5
    assert set(verdicts(result.stdout).values()) == {"KEPT"}


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    target = tmp_path_factory.mktemp("arch")
    for name in PACKAGES:
        shutil.copytree(ROOT / name, target / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "data"))
    shutil.copy(ROOT / "pyproject.toml", target)
    return target


@pytest.mark.parametrize("module, line, broken", [
    ("crm_link/tickets.py", "import desk.inbox", "Features sit on the platform in layers"),
    ("ivr/calls/lifecycle.py", "import ivr.web.twilio", "No cycle between the sub-packages"),
    ("ivr/acd/service.py", "import ivr.twilio.rest", "Twilio's wire format stays in its adapter"),
    ("ivr/flows/text.py", "import sqlalchemy", "The flow engine is pure"),
    ("voicemail/library.py", "import flask", "Flask only at the web edge"),
    ("desk/inbox.py", "import twilio.twiml", "Twilio's wire format stays in its adapter"),
])
def test_each_contract_catches_a_violation(copy, module, line, broken):
    path = copy / module
    original = path.read_text()
    path.write_text(original + f"\n{line}  # injected by the test\n")
    try:
        result = lint(copy)
    finally:
        path.write_text(original)
    assert result.returncode == 1
    named = [v for name, v in verdicts(result.stdout).items() if name.startswith(broken)]
    assert named == ["BROKEN"], result.stdout
