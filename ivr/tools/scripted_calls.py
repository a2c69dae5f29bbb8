"""`ivr flows test`: play the scripted calls of flows/tests/*.yaml through the real webhooks.

One throw-away SQLite database and one app (create_app, as the server builds it) for the whole
run; Twilio is played by ivr/simulator.py, which signs every request and follows the TwiML.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from core import migrate
from core.runtime import Runtime
from core.settings import Settings
from core.web.app import create_app
from crm_link.contacts import record_contact
from crm_link.customers import create_customer
from crm_link.directory import Contact
from ivr.errors import IvrError
from ivr.flows.errors import FlowError, Problem
from ivr.flows.flowtests import Coverage, Heard, ScriptedCall, coverage, parse_file, verdict
from ivr.flows.folder import FLOW_SUFFIXES, load_folder
from ivr.flows.model import Flow
from ivr.models import Call
from ivr.tools.simulate import UNCLAIMED, parse_time
from ivr.tools.standby import answered_by_standby
from ivr.twilio.cloud import FakeTwilioCloud
from ivr.twilio.simulator import Script, Twilio, flask_transport

BASE_URL = "https://ivr.flowtest"
TESTS_FOLDER = "tests"


@dataclass
class Outcome:
    call: ScriptedCall
    failures: list[str]


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    problems: list[Problem] = field(default_factory=list)   # broken test or flow files

    @property
    def ok(self) -> bool:
        return not self.problems and all(not o.failures for o in self.outcomes)

    def text(self) -> str:
        lines = [str(p) for p in self.problems]
        for outcome in self.outcomes:
            status = "FAIL" if outcome.failures else "ok  "
            lines.append(f"{status} {outcome.call.where} {outcome.call.name}")
            lines += [f"       {line}" for line in outcome.failures]
        passed = sum(not o.failures for o in self.outcomes)
        lines += ["", "coverage:", *[f"  {line}" for line in self.coverage.report()], "",
                  f"{passed} of {len(self.outcomes)} scripted calls passed"
                  + (f"; {len(self.problems)} file problems" if self.problems else "")]
        return "\n".join(lines)


def locate(path: Path) -> tuple[Path, list[Path]]:
    """The flows folder and the test files for PATH: a flows folder, its tests folder, or a file."""
    if path.is_file():
        return path.parent.parent, [path]
    if path.name == TESTS_FOLDER and not (path / TESTS_FOLDER).is_dir():
        folder, tests = path.parent, path
    else:
        folder, tests = path, path / TESTS_FOLDER
    files = sorted(p for p in tests.glob("*") if p.suffix in FLOW_SUFFIXES) \
        if tests.is_dir() else []
    if not files:
        raise IvrError(f"No flow tests found in {tests} (write them as {tests}/NAME.yaml).")
    return folder, files


def run(path: Path) -> Report:
    """Play every scripted call found at PATH and judge it; flows come from the same folder."""
    folder, files = locate(path)
    report = Report()
    calls: list[ScriptedCall] = []
    for file in files:
        try:
            calls += parse_file(file.read_bytes(), str(file))
        except FlowError as exc:
            report.problems += exc.problems
    flows_list, problems = load_folder(folder)
    report.problems += problems
    flows = {flow.name: flow for flow in flows_list}
    heard = []
    with tempfile.TemporaryDirectory(prefix="ivr-flowtest-") as scratch:
        base = _settings(folder, Path(scratch))
        for i, call in enumerate(calls):
            try:
                heard.append(_isolated(base, Path(scratch), i, call))
            except IvrError as exc:
                report.outcomes.append(Outcome(call, [str(exc)]))
                continue
            report.outcomes.append(Outcome(call, verdict(call.expect, heard[-1])))
    report.coverage = coverage(flows, heard)
    return report


def _settings(folder: Path, scratch: Path) -> Settings:
    """Test secrets and a migrated template database, copied for each call."""
    migrate.upgrade(f"sqlite:///{scratch}/template.sqlite3")
    (scratch / "recordings").mkdir()
    return Settings(env="test", data_dir=scratch, public_base_url=BASE_URL,
                    twilio_account_sid="AC" + "0" * 32, twilio_auth_token=secrets.token_hex(16),
                    flows_dir=folder, recordings_dir=scratch / "recordings",
                    api_token=secrets.token_hex(16), secret_key=secrets.token_hex(16),
                    log_level="WARNING", flows_reload_seconds=3600.0)


def _isolated(base: Settings, scratch: Path, index: int, call: ScriptedCall) -> Heard:
    """Each call gets its own copy of the empty database: no customer or ticket carries over."""
    database = scratch / f"call{index}.sqlite3"
    shutil.copyfile(scratch / "template.sqlite3", database)
    cloud = FakeTwilioCloud(base.twilio_account_sid, base.twilio_auth_token)
    runtime = Runtime(base.with_(database_url=f"sqlite:///{database}",
                                 twilio_api_base_url=cloud.base_url))
    try:
        app = create_app(runtime=runtime)
        twilio = cloud.attach(Twilio(BASE_URL, base.twilio_account_sid, base.twilio_auth_token,
                                     flask_transport(app.test_client())))
        return play(runtime, twilio, dict(app.extensions["flows"].current().flows), call)
    finally:
        runtime.close()
        cloud.close()


def play(runtime: Runtime, twilio: Twilio, flows: dict[str, Flow], call: ScriptedCall) -> Heard:
    """One scripted call, at its time, from its caller; what the webhooks made of it."""
    flow = _flow_for(flows, call)
    to = call.to or (flow.numbers[0] if flow.numbers else UNCLAIMED)
    at = parse_time(call.at, flow.timezone) or dt.datetime.now(dt.UTC)
    started = time.monotonic()
    runtime.clock = lambda: at + dt.timedelta(seconds=time.monotonic() - started)
    with runtime.db.session() as session:
        if call.open_ticket:
            record_contact(session, Contact(channel="email", email="caller@example.com",
                                            phone=call.caller, name=call.caller_name or "Caller",
                                            subject=call.open_ticket, text=call.open_ticket),
                           region=runtime.settings.default_region)
        elif call.caller_name:
            create_customer(session, name=call.caller_name, phones=[call.caller])
    script = Script(inputs=list(call.inputs), dial=call.dial,
                    message_seconds=call.message_seconds)
    result = answered_by_standby(runtime, twilio, flows.values(), call.queue_answer, script,
                                 call.caller, to)
    with runtime.db.session() as session:
        row = session.scalar(select(Call).where(Call.call_sid == result.call_sid))
        if row is None:
            raise IvrError(f"The server kept no record of the call ({result.ended_by}).")
        visited, choices, current = [], [], row.flow_name
        for event in row.events or []:
            if event.get("kind") == "step":
                current = event.get("flow", current)
                visited.append((current, event["step"]))
            elif event.get("kind") == "choice":
                choices.append((current, event["step"], event["key"]))
        return Heard(tuple(result.said()), tuple(visited), tuple(choices), row.outcome, row.queue)


def _flow_for(flows: dict[str, Flow], call: ScriptedCall) -> Flow:
    if call.flow:
        if call.flow not in flows:
            raise IvrError(f"No flow named {call.flow!r} is loaded (flows: "
                           f"{', '.join(sorted(flows))}).")
        return flows[call.flow]
    for flow in flows.values():
        if call.to in flow.numbers or (call.to is None and flow.default):
            return flow
    raise IvrError("Say which flow the call tests (flow: NAME) or which number it calls (to:).")
