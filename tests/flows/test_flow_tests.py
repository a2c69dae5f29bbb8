"""Scripted flow tests: the file format, `ivr flows test` through the real webhooks, coverage."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.cli import cli
from ivr.flows.errors import FlowError
from ivr.flows.flowtests import Expect, Heard, parse_file, verdict
from ivr.flows.folder import flow_files, load_folder

ROOT = Path(__file__).resolve().parents[2]
CALL_AT_NOON = """\
flow: support
calls:
  - name: store hours
    from: "+819011112222"
    at: "2026-11-24T12:00"
    inputs: ["3"]
    expect:
      hears: [{heard}]
      ends_at: {ends_at}
"""


@pytest.fixture
def flows(tmp_path):
    """The shipped flows without their tests, to add tests of our own."""
    folder = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", folder, ignore=shutil.ignore_patterns("tests"))
    (folder / "tests").mkdir()
    return folder


def run_tests(path: Path):
    return CliRunner().invoke(cli, ["flows", "test", str(path)])


def test_shipped_flows_pass_their_tests_and_reach_every_step():
    result = run_tests(ROOT / "flows")
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    assert "every step and menu option is reached by a test" in result.output
    assert "ok   " in result.output and "scripted calls passed" in result.output


def test_a_failing_call_exits_1_with_expected_versus_heard(flows):
    (flows / "tests" / "hours.yaml").write_text(CALL_AT_NOON.format(
        heard="店舗は24時間営業です", ends_at="agent"), encoding="utf-8")
    result = run_tests(flows)
    assert result.exit_code == 1
    out = result.output
    assert f"FAIL {flows}/tests/hours.yaml:3 store hours" in out
    assert "expected to hear, in order:\n         ✗ 店舗は24時間営業です" in out
    assert "expected destination (ends_at) 'agent', got 'menu'" in out
    assert "heard:\n         お電話ありがとうございます。ABCストア、お客様サポートです。" in out
    assert "店舗の営業時間は、毎日午前10時から午後8時まで、元日は休業です。" in out
    assert "0 of 1 scripted calls passed" in out


def test_coverage_lists_steps_and_options_no_call_reaches(flows):
    (flows / "tests" / "hours.yaml").write_text(CALL_AT_NOON.format(
        heard="現在、店舗は営業中です。", ends_at="menu"), encoding="utf-8")
    result = run_tests(flows / "tests" / "hours.yaml")
    assert result.exit_code == 0, result.output
    assert "ok   " in result.output
    unpressed = next(line for line in result.output.splitlines()
                     if "flow support: menu options no test presses:" in line)
    assert "menu:9" in unpressed and "returns:1" in unpressed and "menu:3" not in unpressed
    unreached = next(line for line in result.output.splitlines()
                     if "flow support: steps no test reaches:" in line)
    assert "english" in unreached and "store_hours" not in unreached
    assert "flow english: steps no test reaches: welcome" in result.output


def test_unknown_keys_are_reported_at_their_line_with_the_allowed_keys(flows):
    path = flows / "tests" / "bad.yaml"
    path.write_text("calls:\n  - name: x\n    from: anonymous\n    input: ['1']\n"
                    "    expect: {hear: [x]}\n", encoding="utf-8")
    with pytest.raises(FlowError) as err:
        parse_file(path.read_bytes(), "bad.yaml")
    messages = [str(p) for p in err.value.problems]
    assert messages[0].startswith("bad.yaml:4:5: unknown key 'input' in a call (did you mean "
                                  "'inputs'?); allowed keys: name, from, to, flow, at, ")
    assert messages[1].startswith("bad.yaml:5:14: unknown key 'hear' in expect (did you mean "
                                  "'hears'?); allowed keys: hears, not_hears, steps, ends_at")
    result = run_tests(flows)
    assert result.exit_code == 1 and "bad.yaml:4:5: unknown key 'input'" in result.output


def test_no_tests_is_an_error_not_a_pass(tmp_path):
    result = run_tests(tmp_path)
    assert result.exit_code == 1 and "No flow tests found in" in result.output


def test_verdict_checks_order_and_absence():
    heard = Heard(said=("a b", "c"), visited=(("f", "x"), ("f", "y")), outcome="agent")
    assert verdict(Expect(hears=("a", "b", "c"), steps=("x", "y"), outcome="agent"), heard) == []
    assert verdict(Expect(hears=("c", "a")), heard)[:3] == [
        "expected to hear, in order:", "  ✓ c", "  ✗ a"]
    assert verdict(Expect(steps=("y", "x")), heard)[0].startswith(
        "expected steps in order y → x; step 'x' was not reached")
    assert verdict(Expect(not_hears=("c",)), heard)[0] == "expected not to hear 'c', but it was said"


def test_flow_folder_skips_tests_and_reserved_files(flows):
    (flows / "tests" / "x.yaml").write_text("calls: []\n", encoding="utf-8")
    (flows / "assignment.yaml").write_text("agents: {}\n", encoding="utf-8")
    (flows / "templates.yaml").write_text("templates: {}\n", encoding="utf-8")
    assert [p.name for p in flow_files(flows)] == ["english.yaml", "support_ja.yaml"]
    loaded, problems = load_folder(flows)
    assert problems == [] and sorted(f.name for f in loaded) == ["english", "support"]
