"""`ivr flows simulate`: one call through the real webhooks, in process, reported as text."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core import migrate
from core.runtime import Runtime
from core.settings import Settings
from core.web.app import create_app
from ivr.errors import IvrError
from ivr.flows.errors import FlowError
from ivr.flows.folder import FlowSet, flow_files, media_files, read_flow
from ivr.flows.model import Flow
from ivr.models import Call
from ivr.tools.standby import answered_by_standby
from ivr.twilio.cloud import FakeTwilioCloud
from ivr.twilio.simulator import CallResult, Script, Twilio, flask_transport

UNCLAIMED = "+10000000000"  # any number no flow claims reaches the default flow


@dataclass
class SimulationOptions:
    flow: str
    caller: str
    to: str | None = None
    inputs: list[str] = field(default_factory=list)
    at: str | None = None
    dial: str = "no-answer"
    queue_answer: int | None = None
    message_seconds: int = 8
    scratch: bool = False


def parse_time(text: str | None, timezone: str) -> dt.datetime | None:
    """ISO time for --at; a time without offset is read in the flow's own time zone."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise IvrError(f"--at must be an ISO date and time such as 2026-12-31T10:00, "
                       f"not {text!r}.") from None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(timezone))


def find_flow(settings: Settings, name_or_path: str) -> tuple[Path, Flow]:
    """A flow by name in FLOWS_DIR, or a flow file anywhere (its folder becomes FLOWS_DIR)."""
    path = Path(name_or_path)
    folder = path.parent if path.suffix in (".yaml", ".yml") else settings.telephony.flows_dir
    media = media_files(folder)
    for file in flow_files(folder):
        if file.resolve() == path.resolve() or file.stem == name_or_path:
            return folder, read_flow(file, media)[0]
        try:
            flow = read_flow(file, media)[0]
        except FlowError:
            continue
        if flow.name == name_or_path:
            return folder, flow
    raise IvrError(f"No flow named {name_or_path!r} in {folder}.")


def simulate(settings: Settings, options: SimulationOptions) -> str:
    folder, flow = find_flow(settings, options.flow)
    to = options.to or (flow.numbers[0] if flow.numbers else None)
    if to is None:
        if not flow.default:
            raise IvrError(f"Flow {flow.name!r} has no numbers and is not the default; give "
                           "--to with a number that reaches it.")
        to = UNCLAIMED
    with tempfile.TemporaryDirectory(prefix="ivr-sim-") as scratch_dir:
        settings = settings.with_(flows_dir=folder)
        if options.scratch:
            settings = settings.with_(database_url=f"sqlite:///{scratch_dir}/sim.sqlite3",
                                      redis_url=None)
            migrate.upgrade(settings.database_url)
        elif migrate.current(settings.database_url) is None:
            raise IvrError("The database has no schema yet: run `ivr db upgrade` first, or "
                           "simulate with --scratch.")
        at = parse_time(options.at, flow.timezone)
        started = time.monotonic()
        clock = (lambda: at + dt.timedelta(seconds=time.monotonic() - started)) if at else None
        cloud = FakeTwilioCloud(settings.twilio.twilio_account_sid,
                                settings.twilio.twilio_auth_token)
        runtime = Runtime(settings.with_(twilio_api_base_url=cloud.base_url), clock=clock)
        try:
            app = create_app(runtime=runtime)
            reached = app.extensions["flows"].current()
            twilio = cloud.attach(Twilio(settings.public_base_url,
                                         settings.twilio.twilio_account_sid,
                                         settings.twilio.twilio_auth_token,
                                         flask_transport(app.test_client())))
            script = Script(inputs=list(options.inputs), dial=options.dial,
                            message_seconds=options.message_seconds)
            result = answered_by_standby(runtime, twilio, reached.flows.values(),
                                         options.queue_answer, script, options.caller, to)
            return report(runtime, result, reached, to, at or runtime.clock())
        finally:
            runtime.close()
            cloud.close()


def report(runtime: Runtime, result: CallResult, flows: FlowSet, to: str,
           at: dt.datetime) -> str:
    with runtime.db.session() as session:
        call = session.scalar(select(Call).where(Call.call_sid == result.call_sid))
        steps = [e["step"] for e in call.events_of("step")] if call else []
        flow = flows.flows.get(call.flow_name) if call else None
        lines = [f"call {result.call_sid} from {call.from_number if call else '?'} to {to}"
                 + (f" - flow {flow.name} ({flow.revision})" if flow else "")
                 + f" at {at.astimezone(ZoneInfo(flow.timezone)) if flow else at:%Y-%m-%d %H:%M %Z}",
                 "", result.text(), "",
                 f"steps:   {' -> '.join(steps) or '(none)'}",
                 f"outcome: {call.outcome if call else 'unknown'}"
                 + (f" (queue {call.queue})" if call and call.queue else ""),
                 f"ended:   {result.ended_by}; {len(result.requests)} webhooks"]
        errors = [f"{path} -> HTTP {status}" for path, status in result.requests if status >= 400]
        if errors:
            lines.append("errors:  " + ", ".join(errors))
    return "\n".join(lines)
