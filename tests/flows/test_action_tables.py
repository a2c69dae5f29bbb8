"""Each concern dispatches on the action through one table: every action has its entry in each,
so a new action cannot be half-added (the engine, checks, graph, TwiML and preview all know it)."""

import typing

import pytest

from ivr.flows import answers, checks, grammar, graph, lint, parse, steps
from ivr.flows.actions import Verb
from ivr.flows.model import Action
from ivr.twilio import twiml
from supervisor import flows_preview

ACTIONS = set(typing.get_args(Action))
VERBS = set(typing.get_args(Verb))
WAITING = set(steps.ENTER)


@pytest.mark.parametrize("table", [checks.SUCCESSORS, graph.EDGES, graph.SUMMARY, graph.KINDS],
                         ids=["check: successors", "graph: edges", "graph: summary",
                              "graph: kinds"])
def test_every_action_has_an_entry(table):
    assert set(table) == ACTIONS


def test_every_action_is_parsed_from_its_own_key():
    assert set(parse.BUILDERS) == set(grammar.ACTIONS) == set(graph.KINDS.values())


def test_every_action_either_runs_at_once_or_waits():
    assert set(steps.RUN) | WAITING == ACTIONS
    assert not set(steps.RUN) & WAITING


def test_every_waiting_action_takes_some_input_and_shows_what_it_accepts():
    assert {action for action, _ in answers.ANSWERS} == WAITING
    assert set(flows_preview.ACCEPTS) == WAITING
    assert set(lint.FAILURE_KEYS) <= WAITING


@pytest.mark.parametrize("table", [twiml._RENDER, flows_preview.HEARD],
                         ids=["render: TwiML", "preview: heard"])
def test_every_verb_is_rendered_and_previewed(table):
    assert set(table) == VERBS
