"""Supervisor pages: flow graphs, tests, revisions and previews; dashboards and reports."""
