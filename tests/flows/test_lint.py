"""Lint: one small flow per rule that must warn (at file:line), and its fixed twin that must not."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from core.cli import cli
from ivr.flows.folder import read_flow
from ivr.flows.lint import lint
from tests.flows.helpers import flow_text, parse

ROOT = Path(__file__).resolve().parents[2]
ONE_LANGUAGE = "name: t\nlanguage: ja-JP\ntimezone: Asia/Tokyo\n"
TWO_LANGUAGES = "name: t\nlanguage: ja-JP\nlanguages: [ja-JP, en-US]\ntimezone: Asia/Tokyo\n"
MENU_TO_HANGUP = """\
a:
  menu:
    prompt: "1"
    options: {"1": z}
z:
  hangup: true
"""
MENU_TO_AGENT = MENU_TO_HANGUP.replace("hangup: true", "connect: {queue: q}")
FALLBACK_LOOP = """\
a:
  say: "ようこそ"
  next: m
m:
  menu:
    prompt: "1"
    options: {"1": q}
    fallback: sorry
sorry:
  say: "もう一度"
  next: m
q:
  connect: {queue: q}
"""
SWITCH = """\
a:
  menu:
    prompt: {ja-JP: "英語は9", en-US: "press 1"}
    options: {"9": en, "1": q}
en:
  set: {language: en-US}
  next: hello
hello:
  say: HELLO_TEXT
  next: a
q:
  connect: {queue: q}
"""
HOURS = """\
hours:
  office:
    mon-fri: "09:00-18:00"
    EXTRA
"""
BRANCH_ON_HOURS = """\
a:
  branch:
    - {if: {open: office}, goto: q}
    - goto: q
q:
  connect: {queue: q}
"""
LONG = "あ" * 4097

# (rule, head, steps, text on the warning's line, fixed head, fixed steps)
CASES = [
    ("menu-no-human", ONE_LANGUAGE, MENU_TO_HANGUP, "menu:", ONE_LANGUAGE, MENU_TO_AGENT),
    ("retry-loop", ONE_LANGUAGE, FALLBACK_LOOP, "fallback: sorry", ONE_LANGUAGE,
     FALLBACK_LOOP.replace("fallback: sorry", "fallback: q").replace('{"1": q}',
                                                                      '{"1": q, "2": sorry}')),
    ("missing-language", TWO_LANGUAGES, SWITCH.replace("HELLO_TEXT", "こんにちは"),
     "say: こんにちは", TWO_LANGUAGES,
     SWITCH.replace("HELLO_TEXT", "{ja-JP: こんにちは, en-US: Hello}")),
    ("missing-language", TWO_LANGUAGES, SWITCH.replace("HELLO_TEXT", "{ja-JP: こんにちは}"),
     "say: {ja-JP", TWO_LANGUAGES,
     SWITCH.replace("HELLO_TEXT", "{ja-JP: こんにちは, en-US: Hello}")),
    ("schedule-no-holidays", ONE_LANGUAGE + HOURS.replace("EXTRA", ""), BRANCH_ON_HOURS,
     "mon-fri", ONE_LANGUAGE + HOURS.replace("EXTRA", "holidays: JP"), BRANCH_ON_HOURS),
    ("schedule-no-holidays", ONE_LANGUAGE + HOURS.replace("EXTRA", ""), BRANCH_ON_HOURS,
     "mon-fri", ONE_LANGUAGE + HOURS.replace("EXTRA", 'closed_on: ["01-01"]'),
     BRANCH_ON_HOURS),
    ("say-too-long", ONE_LANGUAGE, MENU_TO_AGENT.replace('prompt: "1"', f'prompt: "{LONG}"'),
     "prompt:", ONE_LANGUAGE, MENU_TO_AGENT),
    ("speech-hints", ONE_LANGUAGE, MENU_TO_AGENT.replace(
        'options: {"1": z}', 'options: {"1": z}\n    speech: {"' + "x" * 101 + '": "1"}'),
     "speech:", ONE_LANGUAGE, MENU_TO_AGENT.replace(
        'options: {"1": z}', 'options: {"1": z}\n    speech: {"support": "1"}')),
]


def warnings(head: str, steps: str) -> list[str]:
    return [str(w) for w in lint(parse(flow_text(steps, head=head)))]


@pytest.mark.parametrize("rule, head, steps, needle, fixed_head, fixed_steps", CASES,
                         ids=[c[0] for c in CASES])
def test_rule_warns_at_its_line_and_not_once_fixed(rule, head, steps, needle, fixed_head,
                                                   fixed_steps):
    text = flow_text(steps, head=head)
    line = next(i for i, words in enumerate(text.splitlines(), 1) if needle in words)
    found = [w for w in warnings(head, steps) if w.endswith(f"[{rule}]")]
    assert found, warnings(head, steps)
    assert all(": warning: " in w for w in found)
    assert any(w.startswith(f"t.yaml:{line}:") for w in found), (line, found)
    assert not [w for w in warnings(fixed_head, fixed_steps) if w.endswith(f"[{rule}]")]


def test_connect_whose_no_answer_comes_back_is_a_retry_loop():
    steps = """\
        a:
          connect: {queue: q, no_answer: wait}
        wait:
          say: "お待ちください"
          next: a
        """
    found = [str(w) for w in lint(parse(flow_text(steps, head=ONE_LANGUAGE)))]
    assert found == ["t.yaml:7:36: warning: no_answer of 'a' leads back to 'a' via 'wait' for "
                     "a caller who never answers, so the tries never run out; end the loop at "
                     "an agent, voicemail or a hang-up [retry-loop]"]


def test_plain_text_before_any_language_switch_is_fine():
    assert warnings(TWO_LANGUAGES, MENU_TO_AGENT) == []


@pytest.mark.parametrize("name", ["support_ja", "english"])
def test_shipped_flows_are_lint_clean(name):
    flow = read_flow(ROOT / "flows" / f"{name}.yaml", frozenset())[0]
    assert lint(flow) == []


def test_strict_validate_fails_on_warnings_and_plain_validate_does_not(tmp_path):
    (tmp_path / "t.yaml").write_text(flow_text(MENU_TO_HANGUP, head=ONE_LANGUAGE),
                                     encoding="utf-8")
    runner = CliRunner()
    plain = runner.invoke(cli, ["flows", "validate", str(tmp_path)])
    assert plain.exit_code == 0 and "[menu-no-human]" not in plain.output
    strict = runner.invoke(cli, ["flows", "validate", "--strict", str(tmp_path)])
    assert strict.exit_code == 1
    assert "t.yaml:7:5: warning: menu 'a' has no way to an agent, voicemail or callback " \
           "[menu-no-human]" in strict.output
    relaxed = runner.invoke(cli, ["flows", "lint", str(tmp_path)])
    assert relaxed.exit_code == 0 and "[menu-no-human]" in relaxed.output
    assert runner.invoke(cli, ["flows", "lint", "--strict", str(tmp_path)]).exit_code == 1
    clean = runner.invoke(cli, ["flows", "validate", "--strict", str(ROOT / "flows")])
    assert clean.exit_code == 0, clean.output
