"""FLOWS_DIR/queues.yaml: how each queue distributes its callers, and the agents' skills.

```yaml
queues:
  support:
    strategy: longest_idle     # longest_idle (default) | round_robin | skills
    wrap_up: 30                # seconds of after-call work before the next offer
    ring_timeout: 20           # seconds an offer rings before it counts as missed
    service_level: 20          # answered within this many seconds counts as in service level
    timezone: Asia/Tokyo
    hours: {mon-fri: "09:00-18:00", holidays: JP}   # when call-backs are dialed
    callback: {offer_after: 120, key: "1", attempts: 3, retry_after: 600}
    caller_id: "+81312345678"  # the number customers see when agents of the queue call
    record_outbound: true      # agents' calls from the desk are recorded (notice first)
    dispositions: [resolved, follow_up]   # the wrap-up codes of this queue (default: all)
outbound: {queue: support}     # the queue of desk calls on tickets that name none
dispositions:                  # wrap-up codes, with what agents read in each language
  resolved: {ja: 解決, en: Resolved}
agents:
  alice: {ja: 3, returns: 1}   # skill levels, for queues with strategy: skills
```

Checked like the flows (`file:line:col` problems, unknown keys named with the allowed ones,
YAML's yes/no read as text) and hot reloaded; a queue not in the file gets the defaults.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core import yamlsrc
from core.hotfile import HotFile
from core.problems import ConfigFileError, Problem
from ivr.flows import schedule
from ivr.flows.checks import e164
from ivr.flows.fields import Checker
from ivr.flows.folder import display_path
from ivr.flows.grammar import f
from ivr.flows.model import Schedule, Text

FILE_NAME = "queues.yaml"
STRATEGIES = ("longest_idle", "round_robin", "skills")
NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
SKILL = r"^[a-z0-9][a-z0-9_-]{0,31}$"
USERNAME = r"^[a-z0-9][a-z0-9_.@-]{0,63}$"

CALLBACK = {
    "offer_after": f("int", "estimated wait (seconds) beyond which a waiting caller may press "
                            "a key for a call-back that keeps their place", minimum=0,
                     maximum=86400),
    "key": f("string", "the key that books it", pattern=r"^[0-9*#]$", default="1"),
    "attempts": f("int", "tries before the call-back is given up", minimum=1, maximum=10,
                  default=3),
    "retry_after": f("int", "seconds between tries when the customer does not answer",
                     minimum=60, maximum=86400, default=600),
    "caller_id": f("string", "our number the customer sees (E.164; default the queue's)"),
}
CODE = r"^[a-z0-9][a-z0-9_-]{0,39}$"
QUEUE = {
    "strategy": f("string", "who gets the next caller", choices=STRATEGIES,
                  default="longest_idle"),
    "wrap_up": f("int", "seconds of after-call work", minimum=0, maximum=3600, default=30),
    "ring_timeout": f("int", "seconds an offer rings", minimum=5, maximum=120, default=20),
    "service_level": f("int", "seconds: answered within this is within service level",
                       minimum=1, maximum=3600, default=20),
    "timezone": f("string", "IANA time zone of the hours", default="Asia/Tokyo"),
    "hours": f("any", "when call-backs may be dialed (the flows' schedule format)"),
    "callback": f("object", "call-back offers while waiting", fields=CALLBACK),
    "caller_id": f("string", "our number customers see when agents of this queue call (E.164)"),
    "record_outbound": f("bool", "record agents' calls from the desk", default=True),
    "recording_notice": f("text", "what the customer hears first on a recorded desk call"),
    "dispositions": f("list", "the wrap-up codes agents of this queue choose from",
                      item=f("string", pattern=CODE)),
}
OUTBOUND = {
    "queue": f("string", "the queue of desk calls whose ticket names none", pattern=NAME),
    "caller_id": f("string", "our number customers see when no queue names one (E.164)"),
}
TOP = {
    "queues": f("mapping", "queues by name", key=f("string", pattern=NAME),
                item=f("object", fields=QUEUE)),
    "outbound": f("object", "calls agents place from the desk", fields=OUTBOUND),
    "dispositions": f("mapping", "wrap-up codes, with their label in each language",
                      key=f("string", pattern=CODE), item=f("text", "what agents read")),
    "agents": f("mapping", "skill levels by username", key=f("string", pattern=USERNAME),
                item=f("mapping", key=f("string", pattern=SKILL),
                       item=f("int", minimum=1, maximum=10))),
}


@dataclass(frozen=True)
class CallbackRules:
    offer_after: int | None = None      # None: never offered while waiting
    key: str = "1"
    attempts: int = 3
    retry_after: int = 600
    caller_id: str | None = None


@dataclass(frozen=True)
class QueueRules:
    name: str
    strategy: str = "longest_idle"
    wrap_up: int = 30
    ring_timeout: int = 20
    service_level: int = 20
    timezone: str = "Asia/Tokyo"
    hours: Schedule | None = None       # None: call-backs at any time
    callback: CallbackRules = field(default_factory=CallbackRules)
    caller_id: str | None = None
    record_outbound: bool = True
    recording_notice: Text | None = None    # None: the built-in phrase
    dispositions: tuple[str, ...] | None = None   # None: every code of the file

    def open_for_callbacks(self, at: dt.datetime) -> bool:
        return self.hours is None or schedule.is_open(self.hours, at)


@dataclass(frozen=True)
class QueueConfig:
    queues: Mapping[str, QueueRules] = field(default_factory=dict)
    skills: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # username -> levels
    source: str | None = None
    outbound_queue: str | None = None
    outbound_caller_id: str | None = None
    dispositions: Mapping[str, Text] = field(default_factory=dict)   # code -> label

    def queue(self, name: str) -> QueueRules:
        """The rules of a queue; one not in the file gets the defaults."""
        return self.queues.get(name) or QueueRules(name)

    def skills_of(self, username: str) -> Mapping[str, int]:
        return self.skills.get(username, {})

    def caller_id_for(self, queue: str | None) -> str | None:
        """The number a desk call of `queue` shows: the queue's, else the file's default."""
        rules = self.queues.get(queue or "")
        return (rules.caller_id if rules else None) or self.outbound_caller_id

    def dispositions_for(self, queue: str | None) -> dict[str, Text]:
        """The wrap-up codes an agent of `queue` chooses from, in the file's order."""
        rules = self.queues.get(queue or "")
        if rules is None or rules.dispositions is None:
            return dict(self.dispositions)
        return {code: self.dispositions[code] for code in rules.dispositions
                if code in self.dispositions}


DEFAULTS = QueueConfig()


def parse_queues(content: str | bytes, path: str) -> QueueConfig:
    """Parse and check one queues file; every problem raises together, with its position."""
    source = yamlsrc.load(content, path)
    checker = Checker(source)
    data = source.data if source.data is not None else {}
    top = checker.object(data, TOP, (), "the queues file")
    queues = {name: _queue(checker, name, spec) for name, spec in top.get("queues", {}).items()}
    codes = top.get("dispositions", {})
    for name, rules in queues.items():
        for i, code in enumerate(rules.dispositions or ()):
            if code not in codes:
                checker.error(("queues", name, "dispositions", i),
                              f"disposition {code!r} is not one of the file's dispositions "
                              f"({', '.join(codes) or 'none defined'})")
    outbound = top.get("outbound", {})
    if "caller_id" in outbound:
        e164(checker, ("outbound", "caller_id"), outbound["caller_id"])
    if checker.problems:
        raise ConfigFileError(checker.problems)
    return QueueConfig(queues, top.get("agents", {}), path, outbound.get("queue"),
                       outbound.get("caller_id"), codes)


def _queue(c: Checker, name: str, spec: dict) -> QueueRules:
    path = ("queues", name)
    zone = spec.get("timezone", "Asia/Tokyo")
    if not schedule.valid_timezone(zone):
        c.error(path + ("timezone",), f"unknown time zone {zone!r} (use an IANA name such as "
                                      "Asia/Tokyo)")
        zone = "Asia/Tokyo"
    hours = None
    if "hours" in spec:
        hours = schedule.parse(name, spec["hours"], zone,
                               lambda sub, msg: c.error(path + ("hours",) + sub, msg))
    callback = dict(spec.get("callback", {}))
    for where in (("callback", "caller_id"), ("caller_id",)):
        value = callback if where[0] == "callback" else spec
        if "caller_id" in value:
            e164(c, path + where, value["caller_id"])
    if "caller_id" in spec:
        callback.setdefault("caller_id", spec["caller_id"])
    rules = {k: v for k, v in spec.items() if k in ("strategy", "wrap_up", "ring_timeout",
                                                     "service_level", "caller_id",
                                                     "record_outbound", "recording_notice")}
    codes = spec.get("dispositions")
    return QueueRules(name=name, timezone=zone, hours=hours,
                      callback=CallbackRules(**callback),
                      dispositions=tuple(codes) if codes is not None else None, **rules)


def load_queues(path: Path) -> QueueConfig:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ConfigFileError([Problem(display_path(path), 1, 1,
                                       f"cannot read file: {exc.strerror}")]) from None
    return parse_queues(content, display_path(path))


def check_folder(folder: Path) -> list[Problem]:
    """`ivr flows validate`: the problems of FLOWS_DIR/queues.yaml (none if there is no file)."""
    if not (folder / FILE_NAME).is_file():
        return []
    try:
        load_queues(folder / FILE_NAME)
    except ConfigFileError as exc:
        return exc.problems
    return []


class QueuesFile(HotFile[QueueConfig]):
    """FLOWS_DIR/queues.yaml, re-read on change; the last good version keeps serving."""

    def __init__(self, folder: Path | str):
        super().__init__(Path(folder) / FILE_NAME, load_queues, DEFAULTS, "queues")
