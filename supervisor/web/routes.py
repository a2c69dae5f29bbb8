"""Mount the supervisor's pages: flow tools, the live wall and the reports."""

from __future__ import annotations

from flask import Flask

from core.runtime import Runtime
from core.web.layout import NavLink, add_nav
from supervisor.web import dashboard, flows


def install(app: Flask, _runtime: Runtime) -> None:
    app.register_blueprint(flows.bp)
    app.register_blueprint(dashboard.bp)
    add_nav(app, NavLink("svflows.nav", "supervisor_flows.index", "supervisor"),
            NavLink("dash.nav.live", "dashboard.live", "supervisor"),
            NavLink("dash.nav.reports", "dashboard.report_page", "supervisor"))
