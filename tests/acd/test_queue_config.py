"""queues.yaml: parsed into queue rules, refused with file:line:col problems, hot reloaded;
flows' connect steps carry a caller's priority and skills."""

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.cli import cli
from core.problems import ConfigFileError
from ivr.acd.config import QueuesFile, check_folder, parse_queues
from tests.flows.helpers import flow_text, parse

ROOT = Path(__file__).resolve().parents[2]
TOKYO = dt.timezone(dt.timedelta(hours=9))


def test_the_shipped_file_is_valid_and_gives_each_queue_its_rules():
    config = QueuesFile(ROOT / "flows").current()
    support = config.queue("support")
    assert (support.strategy, support.wrap_up, support.ring_timeout) == ("longest_idle", 30, 20)
    assert support.callback.offer_after == 180 and support.callback.caller_id == "+81312345678"
    assert config.queue("returns").strategy == "skills"
    assert config.skills_of("demo") == {"ja": 3, "returns": 2}


def test_a_queue_not_in_the_file_gets_the_defaults():
    rules = parse_queues("queues: {}\n", "queues.yaml").queue("sales")
    assert (rules.strategy, rules.wrap_up, rules.ring_timeout, rules.service_level) == (
        "longest_idle", 30, 20, 20)
    assert rules.callback.offer_after is None
    assert rules.open_for_callbacks(dt.datetime(2026, 12, 6, 3, tzinfo=TOKYO))


@pytest.mark.parametrize("when, open_", [
    ("2026-12-02T10:00", True),     # Wednesday
    ("2026-12-02T19:00", False),    # after hours
    ("2026-12-05T10:00", False),    # Saturday
    ("2026-11-23T10:00", False),    # 勤労感謝の日, a public holiday
])
def test_call_backs_wait_for_the_queues_hours(when, open_):
    rules = parse_queues('queues:\n  support:\n    hours: {mon-fri: "09:00-18:00", '
                         'holidays: JP}\n', "queues.yaml").queue("support")
    at = dt.datetime.fromisoformat(when).replace(tzinfo=TOKYO)
    assert rules.open_for_callbacks(at) is open_


@pytest.mark.parametrize("text, problem", [
    ("queues:\n  support:\n    stratgy: skills\n",
     "queues.yaml:3:5: unknown key 'stratgy' in queues.support (did you mean 'strategy'?)"),
    ("queues:\n  support:\n    strategy: random\n",
     "queues.yaml:3:15: strategy must be one of longest_idle, round_robin, skills"),
    ("queues:\n  support:\n    wrap_up: yes\n", "queues.yaml:3:14: wrap_up must be a whole"),
    ("queues:\n  support:\n    ring_timeout: 1\n", "between 5 and 120, not 1"),
    ("queues:\n  Support: {}\n", "queues.yaml:2:3: 'Support' is not allowed as a key"),
    ("queues:\n  support:\n    timezone: Mars/Base\n", "unknown time zone 'Mars/Base'"),
    ("queues:\n  support:\n    hours: {someday: \"09:00-18:00\"}\n", "queues.yaml:3:"),
    ("queues:\n  support:\n    callback: {offer_after: 60, key: \"12\"}\n",
     "key '12' is not allowed here"),
    ("queues:\n  support:\n    callback: {caller_id: \"03-1234-5678\"}\n",
     "'03-1234-5678' is not an E.164 number"),
    ("agents:\n  alice: {ja: 11}\n", "queues.yaml:2:15: agents.alice.ja must be between 1 and 10"),
    ("tiers: {}\n", "queues.yaml:1:1: unknown key 'tiers' in the queues file"),
    ("queues: [support]\n", "queues must be a mapping"),
])
def test_problems_name_file_line_and_column(text, problem):
    with pytest.raises(ConfigFileError) as err:
        parse_queues(text, "queues.yaml")
    assert problem in str(err.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigFileError) as err:
        parse_queues("queues:\n  a: {wrap_up: -1}\n  b: {strategy: x}\n", "queues.yaml")
    assert [p.line for p in err.value.problems] == [2, 3]


def test_hot_reload_keeps_the_last_good_file(tmp_path):
    path = tmp_path / "queues.yaml"
    source = QueuesFile(tmp_path)
    assert source.current().queue("support").wrap_up == 30         # no file: defaults
    path.write_text("queues:\n  support: {wrap_up: 45}\n")
    assert source.current().queue("support").wrap_up == 45
    time.sleep(0.01)
    path.write_text("queues:\n  support: {wrap_up: soon}\n")
    os.utime(path, None)
    assert source.current().queue("support").wrap_up == 45         # the last good one serves
    assert "queues.yaml:2:22: wrap_up must be a whole number" in source.error
    assert check_folder(tmp_path)[0].line == 2


def test_connect_takes_priority_and_skills_for_queues_only():
    flow = parse(flow_text("""
a:
  connect: {queue: returns, priority: 5, skills: {ja: 2, returns: 1}}
"""))
    action = flow.steps["a"].action
    assert (action.priority, dict(action.skills)) == (5, {"ja": 2, "returns": 1})
    with pytest.raises(ConfigFileError, match="priority applies to queues only"):
        parse(flow_text("""
a:
  connect: {number: "+81312345678", priority: 5}
"""))


def test_flows_validate_checks_the_queues_file(tmp_path):
    folder = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", folder)
    (folder / "queues.yaml").write_text("queues:\n  support:\n    wrap_up: -5\n")
    result = CliRunner().invoke(cli, ["flows", "validate", str(folder)])
    assert result.exit_code == 1
    assert "queues.yaml:3:14: wrap_up must be between 0 and 3600, not -5" in result.output
