"""The flow format as data: allowed keys, their types and defaults.

The parser checks files against these tables and `schema.py` turns the same tables into the
published JSON Schema, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Field:
    """One key: its kind, constraints and the sentence that documents it."""

    kind: str  # text | step | int | bool | string | digits | mapping | object | list | cond | any
    doc: str = ""
    required: bool = False
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    fields: Mapping[str, Field] = field(default_factory=dict)  # object members
    item: Field | None = None                                   # list items, mapping values
    key: Field | None = None                                    # mapping keys


def f(kind: str, doc: str = "", **kw) -> Field:
    return Field(kind, doc, **kw)


TEXT = "text"          # a string, or a mapping of language -> string
STEP = "step"          # the name of a step in this flow
DIGIT_KEYS = r"^[0-9*#]{1,4}$"
LANGUAGE = r"^[a-z]{2,3}-[A-Z]{2}$"
VAR_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]{0,39}$"

CONDITION = {
    "open": f("string", "schedule name: true while that schedule is open"),
    "closed": f("string", "schedule name: true while that schedule is closed"),
    "caller": f("string", "the caller is in the customer records (known), not (unknown), or "
                          "withheld their number (anonymous)",
                choices=("known", "unknown", "anonymous")),
    "var": f("string", "variable to test with equals, in or matches", pattern=VAR_NAME),
    "equals": f("string", "the variable equals this text"),
    "in": f("list", "the variable is one of these texts", item=f("string")),
    "matches": f("string", "the variable matches this regular expression (whole value)"),
    "caller_has_open_ticket": f("bool", "the caller has a ticket not yet solved"),
    "language": f("string", "the call's current language", pattern=LANGUAGE),
}

RULE = {
    "if": f("cond", "conditions that must all hold; omit on the last rule"),
    "goto": f(STEP, "step to run when the conditions hold", required=True),
}

MENU = {
    "prompt": f(TEXT, "what the caller hears; pressing a key interrupts it", required=True),
    "options": f("mapping", "key pressed -> step", required=True,
                 key=f("string", pattern=DIGIT_KEYS), item=f(STEP)),
    "speech": f("mapping", "spoken phrase -> option key (enables speech input)",
                key=f("string"), item=f("string", pattern=DIGIT_KEYS)),
    "timeout": f("int", "seconds to wait for a key after the prompt", default=5, minimum=1,
                 maximum=60),
    "attempts": f("int", "tries before the fallback (no input and wrong keys both count)",
                  default=3, minimum=1, maximum=10),
    "no_input": f(TEXT, "said before repeating the prompt when nothing was pressed"),
    "invalid": f(TEXT, "said before repeating the prompt when a wrong key was pressed"),
    "fallback": f(STEP, "step after the last failed attempt (default: hang up)"),
    "repeat_key": f("string", "key that repeats the prompt without using a try",
                    pattern=r"^[0-9*#]$"),
}

ASK = {
    "prompt": f(TEXT, "what the caller hears", required=True),
    "save_as": f("string", "variable that receives the answer", required=True, pattern=VAR_NAME),
    "next": f(STEP, "step after a valid answer", required=True),
    "digits": f("object", "collect keypad digits", fields={
        "min": f("int", "fewest digits accepted", default=1, minimum=1, maximum=40),
        "max": f("int", "most digits accepted", default=20, minimum=1, maximum=40)}),
    "speech": f("bool", "collect speech instead of digits", default=False),
    "pattern": f("string", "regular expression the whole answer must match"),
    "finish_on_key": f("string", "key that ends digit entry", default="#",
                       pattern=r"^[0-9*#]?$"),
    "timeout": f("int", "seconds of silence that end the answer", default=5, minimum=1,
                 maximum=60),
    "attempts": f("int", "tries before the fallback", default=3, minimum=1, maximum=10),
    "no_input": f(TEXT, "said before asking again when nothing was entered"),
    "invalid": f(TEXT, "said before asking again when the answer was not accepted"),
    "fallback": f(STEP, "step after the last failed attempt (default: hang up)"),
}

CONNECT = {
    "queue": f("string", "queue of agents (offered to available agents, else waiting)",
               pattern=r"^[a-zA-Z0-9_-]{1,64}$"),
    "number": f("string", "phone number in E.164 (+81...) to transfer to"),
    "client": f("string", "Twilio Client identity to ring", pattern=r"^[a-zA-Z0-9_.@-]{1,128}$"),
    "sip": f("string", "SIP URI to ring (sip:user@host)", pattern=r"^sips?:[^\s]+$"),
    "record": f("bool", "record both sides (the recording notice plays first)", default=False),
    "timeout": f("int", "seconds to ring before giving up", default=30, minimum=5, maximum=600),
    "max_wait": f("int", "seconds a caller may wait in the queue", default=300, minimum=10,
                  maximum=3600),
    "no_answer": f(STEP, "step when nobody answers, the line is busy or the wait is too long"),
    "next": f(STEP, "step after the conversation ends (default: hang up)"),
    "caller_id": f("string", "number shown to the person called (E.164)"),
    "hold_music": f("string", "audio URL or flows-folder file played while waiting"),
    "priority": f("int", "queue only: callers of higher priority are offered first (0-100)",
                  default=0, minimum=0, maximum=100),
    "skills": f("mapping", "queue only: skills an agent needs, with the least level, e.g. "
                           "{ja: 2, returns: 1}", key=f("string", pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$"),
                item=f("int", minimum=1, maximum=10)),
}

VOICEMAIL = {
    "mailbox": f("string", "mailbox (team or agent) that receives the message", required=True,
                 pattern=r"^[a-zA-Z0-9_-]{1,64}$"),
    "prompt": f(TEXT, "greeting before the beep"),
    "max_length": f("int", "longest message in seconds", default=120, minimum=5, maximum=3600),
    "finish_key": f("string", "key that ends the recording", default="#",
                    pattern=r"^[0-9*#]$"),
    "silence_timeout": f("int", "seconds of silence that end the recording", default=5,
                         minimum=1, maximum=60),
    "review": f("bool", "let the caller re-record before saving", default=True),
    "saved": f(TEXT, "said once the message is saved"),
    "next": f(STEP, "step after the message is saved (default: hang up)"),
}

CALLBACK = {
    "queue": f("string", "team that will call back", required=True,
               pattern=r"^[a-zA-Z0-9_-]{1,64}$"),
    "confirm": f(TEXT, "asks to confirm the caller's number; {caller.phone} reads it"),
    "enter": f(TEXT, "asks for another number, ended with #"),
    "done": f(TEXT, "said once the callback is booked"),
    "attempts": f("int", "tries before the fallback", default=3, minimum=1, maximum=10),
    "fallback": f(STEP, "step after the last failed attempt (default: hang up)"),
    "next": f(STEP, "step after the callback is booked (default: hang up)"),
}

GOTO_FLOW = {
    "flow": f("string", "name of the flow to continue in", required=True),
    "step": f("string", "step of that flow to start at (default: its start)"),
}

# Each step has exactly one action key; `siblings` are the other keys allowed beside it.
ACTIONS: dict[str, dict] = {
    "say": {"value": f(TEXT, "speak a text (or one per language)"),
            "siblings": {"next": f(STEP, "step after speaking", required=True)}},
    "play": {"value": f("string", "audio URL, or a file in the flows folder"),
             "siblings": {"next": f(STEP, "step after playing", required=True),
                          "loop": f("int", "times to play", default=1, minimum=1,
                                    maximum=10)}},
    "menu": {"value": f("object", "choose with keys or speech", fields=MENU), "siblings": {}},
    "ask": {"value": f("object", "collect digits or speech into a variable", fields=ASK),
            "siblings": {}},
    "branch": {"value": f("list", "first rule whose conditions hold wins; the last has no if",
                          item=f("object", fields=RULE)), "siblings": {}},
    "set": {"value": f("mapping", "variables to set; `language` switches the call's language",
                       key=f("string", pattern=VAR_NAME), item=f("string")),
            "siblings": {"next": f(STEP, "step after setting", required=True)}},
    "connect": {"value": f("object", "transfer to a queue, number, client or SIP address",
                           fields=CONNECT), "siblings": {}},
    "voicemail": {"value": f("object", "record a message", fields=VOICEMAIL), "siblings": {}},
    "callback": {"value": f("object", "book a call back (creates a ticket)", fields=CALLBACK),
                 "siblings": {}},
    "goto_flow": {"value": f("any", "continue in another flow: its name, or {flow, step}"),
                  "siblings": {}},
    "hangup": {"value": f("bool", "end the call (hangup: true)"), "siblings": {}},
}

SCHEDULE_DOC = ("opening hours: day keys (mon..sun, mon-fri, sat,sun, daily, weekdays, weekends)"
                " -> \"09:00-18:00\" (several separated by commas; closed; 24h), plus closed_on "
                "(dates, MM-DD yearly, ranges a..b), open_on (date -> hours), holidays (country "
                "code, e.g. JP) and timezone")

TOP = {
    "name": f("string", "unique flow name", required=True, pattern=r"^[a-zA-Z0-9_-]{1,64}$"),
    "description": f("string", "what this line is for"),
    "numbers": f("list", "called numbers (E.164) that run this flow", item=f("string")),
    "default": f("bool", "run this flow for numbers no flow claims", default=False),
    "language": f("string", "main language, e.g. ja-JP", required=True, pattern=LANGUAGE),
    "languages": f("list", "languages callers may switch to (default: the main one)",
                   item=f("string", pattern=LANGUAGE)),
    "voice": f(TEXT, "Twilio voice (e.g. Polly.Mizuki), or one per language"),
    "timezone": f("string", "IANA time zone of the schedules, e.g. Asia/Tokyo", required=True),
    "hours": f("mapping", "named schedules", key=f("string", pattern=VAR_NAME),
               item=f("any", SCHEDULE_DOC)),
    "recording_notice": f(TEXT, "played before recorded conversations"),
    "on_error": f(STEP, "step to run after an internal failure (default: apologise and hang up)"),
    "start": f(STEP, "first step", required=True),
    "steps": f("mapping", "step name -> step", required=True,
               key=f("string", pattern=r"^[a-zA-Z0-9_-]{1,64}$"), item=f("any")),
}
