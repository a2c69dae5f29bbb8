"""Supervisor tools: flow graphs, lint, tests, revisions, preview; the live wall; reports."""

from core.features import Feature

feature = Feature(name="supervisor", web="supervisor.web.routes")
