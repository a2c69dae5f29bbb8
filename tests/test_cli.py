"""The `ivr` command line: help, flow validation and schema, simulation, production refusal."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from core.cli import cli
from ivr.flows import schema
from ivr.flows.errors import FlowError
from tests.flows.helpers import parse

ROOT = Path(__file__).resolve().parent.parent
IVR = str(Path(sys.executable).with_name("ivr"))


def run(*args, env=None, cwd=ROOT):
    return subprocess.run([IVR, *args], capture_output=True, text=True, cwd=cwd, timeout=120,
                          env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"),
                               **(env or {})})


def test_help_lists_every_command():
    result = run("--help")
    assert result.returncode == 0
    for command in ("serve", "worker", "db", "flows", "demo", "users", "recordings",
                    "assignment"):
        assert f"  {command} " in result.stdout, command
    flows = run("flows", "--help").stdout
    for command in ("validate", "simulate", "schema", "lint", "graph", "test"):
        assert f"  {command} " in flows


def test_validate_the_shipped_flows():
    result = run("flows", "validate", "flows")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 flow files valid" in result.stderr


def test_validate_prints_one_line_per_problem_and_exits_1(tmp_path):
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    bad = tmp_path / "flows" / "support_ja.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("next: store_now", "next: store_nwo")
                   .replace("timeout: 5\n", "timout: 5\n", 1), encoding="utf-8")
    (tmp_path / "flows" / "broken.yaml").write_text("name: [\n", encoding="utf-8")
    result = run("flows", "validate", "flows", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("flows/broken.yaml:2:1: YAML syntax")
    assert any(line.startswith("flows/support_ja.yaml:") and ": unknown key 'timout' in menu "
               "(did you mean 'timeout'?)" in line for line in lines)
    assert any(line.startswith("flows/support_ja.yaml:93:") and "did you mean 'store_now'" in line
               for line in lines)
    assert "3 problems in 3 flow files" in result.stderr


@pytest.mark.parametrize("name, text, expected", [
    ("assignment.yaml", "teams:\n  billing: [alice]\nrulez: []\n",
     "flows/assignment.yaml:3:1: unknown key 'rulez' in the file; the allowed keys are teams, "
     "rules, default_team"),
    ("templates.yaml", "templates:\n  thanks: {title: Thanks, body: 'Dear {customer.nmae}'}\n",
     "uses unknown placeholder(s) customer.nmae"),
])
def test_validate_checks_the_desk_files_beside_the_flows(tmp_path, name, text, expected):
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    (tmp_path / "flows" / name).write_text(text, encoding="utf-8")
    result = run("flows", "validate", "flows", cwd=tmp_path)
    assert result.returncode == 1
    assert expected in result.stdout, result.stdout


def test_validate_one_file_is_checked_against_its_folder(tmp_path):
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    twin = tmp_path / "flows" / "twin.yaml"
    twin.write_text('name: twin\nnumbers: ["+81120123456"]\nlanguage: ja-JP\n'
                    'timezone: Asia/Tokyo\nstart: a\nsteps:\n  a: {hangup: true}\n')
    result = run("flows", "validate", "flows/twin.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "flows/twin.yaml:2:11: number +81120123456 is also claimed by flow 'support' "
        "(flows/support_ja.yaml)"]


def test_published_schema_is_in_step_with_the_loader():
    assert (ROOT / "flows" / "schema.json").read_text(encoding="utf-8") == schema.render()
    assert run("flows", "schema", "--check", "flows/schema.json").returncode == 0


@pytest.mark.parametrize("name", ["support_ja.yaml", "english.yaml"])
def test_shipped_flows_validate_against_the_published_schema(name):
    document = json.loads((ROOT / "flows" / "schema.json").read_text(encoding="utf-8"))
    parsed = parse((ROOT / "flows" / name).read_text(encoding="utf-8"))
    assert parsed.steps
    jsonschema.validate(yaml.safe_load((ROOT / "flows" / name).read_text(encoding="utf-8")),
                        document)


@pytest.mark.parametrize("step", [
    {"say": "hi", "next": "b", "colour": "red"},              # unknown key
    {"say": "hi"},                                           # missing required next
    {"say": "hi", "menu": {"prompt": "x", "options": {}}},     # two actions
    {"menu": {"prompt": "x", "options": {"1": "b"}, "timout": 3}},
    {"hangup": "yes"},
])
def test_schema_and_loader_refuse_the_same_mistakes(step):
    document = json.loads(schema.render())
    flow = {"name": "t", "language": "ja-JP", "timezone": "Asia/Tokyo", "start": "a",
            "steps": {"a": step, "b": {"hangup": True}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(flow, document)
    with pytest.raises(FlowError):
        parse(yaml.safe_dump(flow, allow_unicode=True))


def test_simulate_prints_what_the_caller_hears(tmp_path):
    env = {"IVR_ENV": "development", "IVR_DATA_DIR": str(tmp_path)}
    result = run("flows", "simulate", "support", "--from", "+819011112222", "--input", "3",
                 "--at", "2026-11-24T12:00", "--scratch", env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "flow support" in out and "at 2026-11-24 12:00 JST" in out
    assert "SAY      [ja-JP Polly.Mizuki] 店舗の営業時間は" in out
    assert "GATHER   caller presses '3'" in out
    assert "steps:   welcome -> greet -> route -> menu -> store_hours -> store_now" in out


def test_simulate_at_night_reaches_voicemail(tmp_path):
    env = {"IVR_ENV": "development", "IVR_DATA_DIR": str(tmp_path)}
    result = run("flows", "simulate", "flows/support_ja.yaml", "--from", "anonymous",
                 "--at", "2026-11-24T23:30+09:00", "--scratch", env=env)
    assert result.returncode == 0, result.stderr
    assert "本日の受付は終了いたしました" in result.stdout
    assert "outcome: voicemail" in result.stdout


def test_simulate_explains_bad_arguments(tmp_path):
    env = {"IVR_ENV": "development", "IVR_DATA_DIR": str(tmp_path)}
    result = run("flows", "simulate", "nope", "--from", "+819011112222", "--scratch", env=env)
    assert result.returncode == 1 and "No flow named 'nope' in flows." in result.stderr
    result = run("flows", "simulate", "support", "--from", "x", "--at", "noon", "--scratch",
                 env=env)
    assert result.returncode == 1 and "--at must be an ISO date and time" in result.stderr


@pytest.mark.parametrize("command", [["serve"], ["worker", "--burst"]])
def test_production_refuses_to_start_without_secrets(tmp_path, command):
    result = run(*command, env={"IVR_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert ("Refusing to start in production: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, API_TOKEN, "
            "SECRET_KEY are not set") in result.stderr


def test_gunicorn_app_factory_refuses_without_secrets(monkeypatch):
    from core.errors import ConfigError
    from core.web.app import create_app
    for name in ("IVR_ENV", "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "API_TOKEN", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("API_TOKEN", "x")
    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, SECRET_KEY "
                                          "are not set"):
        create_app()


def test_click_runner_shows_errors_as_one_sentence(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["flows", "validate", str(tmp_path)])
    assert result.exit_code == 0 and "0 flow files valid" in result.output
