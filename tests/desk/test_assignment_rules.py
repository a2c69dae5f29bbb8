"""assignment.yaml: parsing with file:line errors, hot reload keeping the last good rules, the CLI."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from core import accounts
from core.cli import cli
from crm_link.contacts import file_contact
from crm_link.directory import Contact
from desk.assignment_rules import (
    DEFAULT_RULES,
    AssignmentRulesError,
    Member,
    RulesFile,
    TicketFacts,
    load_rules,
    parse_rules,
)
from ivr.flows.folder import flow_files, load_folder

ROOT = Path(__file__).resolve().parents[2]
GOOD = """
teams:
  billing: [alice, queue:billing]
  all: [role:agent]
rules:
  - when: {channel: [email, chat], keyword: 解約}
    team: billing
  - when: {queue: support, mailbox: support}
    team: all
default_team: all
"""


def problems(text: str) -> list[str]:
    with pytest.raises(AssignmentRulesError) as caught:
        parse_rules(text, "assignment.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_full_file_parses_into_frozen_rules():
    rules = parse_rules(GOOD, "assignment.yaml")
    assert rules.teams["billing"] == (Member("user", "alice"), Member("queue", "billing"))
    assert rules.teams["all"] == (Member("role", "agent"),)
    assert [(r.team, r.line) for r in rules.rules] == [("billing", 6), ("all", 8)]
    assert rules.default_team == "all"
    with pytest.raises(AttributeError):
        rules.default_team = "billing"


@pytest.mark.parametrize(("facts", "team"), [
    (TicketFacts("email", text="ご契約の解約について"), "billing"),
    (TicketFacts("voice", text="解約"), "all"),                          # wrong channel
    (TicketFacts("voicemail", queue="support", mailbox="support"), "all"),
    (TicketFacts("voicemail", queue="support"), "all"),                  # default team
])
def test_first_matching_rule_wins_else_the_default_team(facts, team):
    chosen, why = parse_rules(GOOD, "assignment.yaml").team_for(facts)
    assert chosen == team and why


def test_keywords_ignore_case_and_full_or_half_width():
    rules = parse_rules("teams: {v: [a]}\nrules: [{when: {keyword: [VIP, ｶﾅ]}, team: v}]\n",
                        "a.yaml")
    for text in ("a vip customer", "ＶＩＰ", "Vip", "カナ"):
        assert rules.team_for(TicketFacts("chat", text=text))[0] == "v", text
    assert rules.team_for(TicketFacts("chat", text="v i p"))[0] is None


def test_unknown_keys_name_the_allowed_ones_with_their_line():
    found = problems("teams: {a: [bob]}\nrulez: []\nrules:\n  - when: {chanel: voice}\n"
                     "    team: a\n    teem: a\n")
    assert found == [
        "assignment.yaml:2:1: unknown key 'rulez' in the file; the allowed keys are teams, "
        "rules, default_team",
        "assignment.yaml:4:12: unknown key 'chanel' in when; the allowed keys are channel, "
        "queue, mailbox, keyword",
        "assignment.yaml:6:5: unknown key 'teem' in a rule; the allowed keys are when, team",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("teams: {a: [bob]}\ndefault_team: b\n",
     "assignment.yaml:2:15: team 'b' is not defined under teams (teams: a)"),
    ("teams: {a: [Bob Smith]}\n", "assignment.yaml:1:13: 'Bob Smith' is not a username"),
    ("teams: {a: [role:boss]}\n", "is not a username, queue:NAME or role:NAME (roles: agent"),
    ("teams: {a: []}\n", "assignment.yaml:1:12: team 'a' has no members"),
    ("teams: {A: [bob]}\n", "team name 'A' is not allowed"),
    ("teams: {a: [bob]}\nrules: [{when: {channel: fax}, team: a}]\n",
     "assignment.yaml:2:26: channel 'fax' is not one of voice, voicemail"),
    ("teams: {a: [bob]}\nrules: [{when: {keyword: ''}, team: a}]\n",
     "keyword must be a non-empty string or a list of them, not ''"),
    ("teams: {a: [bob]}\nrules: [{when: {queue: no}}]\n", "this rule has no team"),
    ("- just a list\n", "assignment.yaml:1:1: the file must be a mapping"),
    ("teams: !!python/object/apply:os.system [echo hi]\n", "is not allowed"),
    ("teams: {a: [bob]\n", "assignment.yaml:2:1: YAML syntax"),
    ("teams: {a: [bob], a: [carol]}\n", "duplicate key 'a'"),
])
def test_invalid_files_say_where_and_why(text, expected):
    assert any(expected in p for p in problems(text)), problems(text)


def test_yes_and_no_stay_strings():
    rules = parse_rules("teams: {a: [bob]}\nrules: [{when: {queue: no, keyword: yes}, team: a}]\n",
                        "a.yaml")
    assert rules.rules[0].when.queue == ("no",) and rules.rules[0].when.keyword == ("yes",)


def test_an_empty_file_has_no_teams():
    rules = parse_rules("", "a.yaml")
    assert rules.teams == {} and rules.default_team is None


def test_the_shipped_example_is_valid_and_ignored_by_the_flow_loader():
    rules = load_rules(ROOT / "flows" / "assignment.yaml")
    assert rules.default_team == "everyone" and "support" in rules.teams
    assert rules.team_for(TicketFacts("voicemail", mailbox="support-us"))[0] == "support"
    assert rules.team_for(TicketFacts("email", text="返品したい"))[0] == "returns"
    assert "assignment.yaml" not in [p.name for p in flow_files(ROOT / "flows")]
    assert load_folder(ROOT / "flows")[1] == []


def test_rules_file_reloads_on_change_and_keeps_the_last_good(tmp_path, caplog):
    source = RulesFile(tmp_path)
    assert source.current() is DEFAULT_RULES                 # no file: one team of agents
    path = tmp_path / "assignment.yaml"
    path.write_text(GOOD, encoding="utf-8")
    good = source.current()
    assert good.default_team == "all" and source.error is None
    path.write_text(GOOD + "bogus: 1\n", encoding="utf-8")
    os.utime(path, ns=(1, 1))                                # a different mtime for sure
    with caplog.at_level(logging.ERROR, logger="desk.assignment"):
        assert source.current() is good
    assert "assignment.yaml:11:1: unknown key 'bogus'" in source.error
    assert "last good rules keep serving" in caplog.text
    path.unlink()
    assert source.current() is DEFAULT_RULES


@pytest.fixture
def ivr(db, database_url, tmp_path, redis_url):
    runner = CliRunner(env={"DATABASE_URL": database_url, "IVR_ENV": "test",
                            "IVR_DATA_DIR": str(tmp_path / "data"), "REDIS_URL": redis_url,
                            "FLOWS_DIR": str(tmp_path)})

    def run(*args: str):
        return runner.invoke(cli, list(args))

    return run


def test_cli_validate(ivr, tmp_path):
    result = ivr("assignment", "validate")
    assert result.exit_code == 0 and "no rules file; the built-in default" in result.output
    (tmp_path / "assignment.yaml").write_text(GOOD, encoding="utf-8")
    result = ivr("assignment", "validate")
    assert result.exit_code == 0, result.output
    assert "ok, 2 team(s), 2 rule(s), default team all" in result.output
    (tmp_path / "bad.yaml").write_text("teams: {a: [bob]}\nrules: [{when: {x: 1}, team: a}]\n")
    result = ivr("assignment", "validate", str(tmp_path / "bad.yaml"))
    assert result.exit_code == 1
    assert "bad.yaml:2:17: unknown key 'x' in when; the allowed keys are" in result.output
    assert ivr("assignment", "validate", str(ROOT / "flows")).exit_code == 0
    assert ivr("assignment", "validate", str(tmp_path / "nope.yaml")).exit_code == 1


def test_cli_show_and_sweep(ivr, tmp_path, db, make_user):
    (tmp_path / "assignment.yaml").write_text(GOOD, encoding="utf-8")
    make_user("alice", max_open_tickets=1)
    make_user("bob", max_open_tickets=3)
    with db.session() as session:
        for name in ("alice", "bob"):
            accounts.set_presence(accounts.get_user(session, name), "available")
    for i in range(3):   # no hook in this process: the tickets wait
        file_contact(db, Contact(channel="email", email=f"c{i}@example.com", text="解約"))
    result = ivr("assignment", "show")
    assert result.exit_code == 0, result.output
    assert "Team billing (alice, queue:billing):" in result.output
    assert "alice" in result.output and "0/1 open  takes tickets" in result.output
    result = ivr("assignment", "sweep")
    assert result.exit_code == 0, result.output
    assert "#1 -> alice (team billing)" in result.output
    assert "1 ticket(s) assigned." in result.output    # bob is not in billing
    assert "1/1 open  skipped" in ivr("assignment", "show").output
