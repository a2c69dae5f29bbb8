"""Turn one flow file into a frozen Flow, or a FlowError listing every problem with its position."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from core.problems import ConfigFileError
from core.yamlsrc import Source, load
from ivr.flows import checks, grammar, schedule
from ivr.flows.errors import FlowError
from ivr.flows.fields import BAD, Checker
from ivr.flows.model import (
    Ask,
    Branch,
    Callback,
    Connect,
    Flow,
    GotoFlow,
    Hangup,
    Menu,
    Play,
    Rule,
    Say,
    SetVars,
    Step,
    Voicemail,
)

AUDIO_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(?:mp3|wav|ogg|m4a)$")


def revision_of(content: bytes) -> str:
    """A flow revision is the hash of its file's bytes: same file, same revision."""
    return hashlib.sha256(content).hexdigest()[:16]


def load_flow_yaml(content: str | bytes, path: str) -> Source:
    """The YAML of a flow (or flow test) file, positions kept; its problems raise FlowError."""
    try:
        return load(content, path)
    except ConfigFileError as exc:
        raise FlowError(exc.problems) from None


def parse_flow(content: bytes, path: str, *, media_files: frozenset[str] | None = None) -> Flow:
    """Parse and check one flow file (media_files: audio files present in the flows folder)."""
    source = load_flow_yaml(content, path)
    checker = Checker(source)
    flow = _build(source, checker, revision_of(content), media_files)
    if flow is not None:
        checks.check_flow(flow, checker)
    if checker.problems:
        raise FlowError(checker.problems)
    return flow


def _build(source: Source, c: Checker, revision: str, media: frozenset[str] | None):
    if source.data is None:
        c.error((), "the file is empty; a flow needs name, language, timezone, start and steps")
        return None
    top = c.object(source.data, grammar.TOP, (), "the flow")
    if not all(k in top for k in ("name", "language", "timezone", "start", "steps")):
        return None
    language = top["language"]
    languages = tuple(dict.fromkeys([language, *top.get("languages", [])]))
    timezone = top["timezone"]
    if not schedule.valid_timezone(timezone):
        c.error(("timezone",), f"unknown time zone {timezone!r} (use an IANA name such as "
                               "Asia/Tokyo)")
    hours = {}
    for name, spec in top.get("hours", {}).items():
        parsed = schedule.parse(name, spec, timezone,
                                lambda sub, msg, name=name: c.error(("hours", name) + sub, msg))
        if parsed is not None:
            hours[name] = parsed
    steps = {}
    c.declared = set(top["steps"])
    for name, spec in top["steps"].items():
        action = _step(c, ("steps", name), spec, name, languages, media)
        if action is not None:
            steps[name] = Step(name, action)
    voice = top.get("voice")
    voices = {language: voice.by_language[""]} if voice and "" in voice.by_language else (
        dict(voice.by_language) if voice else {})
    return Flow(
        name=top["name"], path=source.path, revision=revision, language=language,
        languages=languages, voices=voices, timezone=timezone, start=top["start"],
        steps=steps, numbers=tuple(top.get("numbers", [])), default=top.get("default", False),
        hours=hours, recording_notice=top.get("recording_notice"), on_error=top.get("on_error"),
        description=top.get("description", ""), positions=source.positions,
    )


def _step(c: Checker, path: tuple, spec: Any, name: str, languages, media):
    if not isinstance(spec, dict):
        c.error(path, f"step {name!r} must be a mapping with one action "
                      f"({', '.join(grammar.ACTIONS)})")
        return None
    actions = [key for key in spec if key in grammar.ACTIONS]
    if len(actions) != 1:
        what = "no action" if not actions else f"{len(actions)} actions ({', '.join(actions)})"
        c.error(path, f"step {name!r} has {what}; each step has exactly one of "
                      f"{', '.join(grammar.ACTIONS)}", at_key=True)
        return None
    kind = actions[0]
    rule = grammar.ACTIONS[kind]
    siblings = rule["siblings"]
    extra = {}
    for key, value in spec.items():
        if key == kind:
            continue
        if key not in siblings:
            c.unknown_key(path + (key,), key, [kind, *siblings], f"a {kind} step")
            continue
        checked = c.value(value, siblings[key], path + (key,), key)
        if checked is not BAD:
            extra[key] = checked
    for key, field in siblings.items():
        if field.required and key not in spec:
            c.error(path, f"{kind} step {name!r} is missing required key {key!r}")
    value = c.value(spec[kind], rule["value"], path + (kind,), kind)
    if value is BAD or any(f.required and k not in extra for k, f in siblings.items()):
        return None
    return BUILDERS[kind](c, path + (kind,), value, extra, languages, media)


def _say(c, path, value, extra, languages, media):
    return Say(value, extra["next"])


def _play(c, path, value, extra, languages, media):
    url = value
    if not url.startswith(("https://", "http://")):
        if not AUDIO_FILE.match(url):
            c.error(path, f"play needs an http(s) URL or an audio file name in the flows folder "
                          f"(mp3, wav, ogg, m4a), not {url!r}")
            return None
        if media is not None and url not in media:
            c.error(path, f"audio file {url!r} is not in the flows folder")
            return None
    return Play(url, extra["next"], extra.get("loop", 1))


def _menu(c, path, value, extra, languages, media):
    if "prompt" not in value or "options" not in value:
        return None
    options, speech = value["options"], value.get("speech", {})
    if not options:
        c.error(path + ("options",), "a menu needs at least one option")
    for phrase, key in speech.items():
        if key not in options:
            c.error(path + ("speech", phrase), f"speech phrase {phrase!r} points to key {key!r}, "
                                               f"which is not an option ({', '.join(options)})")
    repeat = value.get("repeat_key")
    if repeat and repeat in options:
        c.error(path + ("repeat_key",), f"repeat_key {repeat!r} is also an option")
    return Menu(prompt=value["prompt"], options=options, speech=speech,
                timeout=value.get("timeout", 5), attempts=value.get("attempts", 3),
                no_input=value.get("no_input"), invalid=value.get("invalid"),
                fallback=value.get("fallback"), repeat_key=repeat)


def _ask(c, path, value, extra, languages, media):
    if not all(k in value for k in ("prompt", "save_as", "next")):
        return None
    digits, speech = value.get("digits"), value.get("speech", False)
    if bool(digits is not None) == bool(speech):
        c.error(path, "ask collects either digits ({digits: {min, max}}) or speech (speech: "
                      "true); give exactly one")
        return None
    low, high = (digits or {}).get("min", 1), (digits or {}).get("max", 20)
    if digits is not None and low > high:
        c.error(path + ("digits",), f"digits min ({low}) is larger than max ({high})")
    pattern = value.get("pattern")
    if pattern is not None:
        checks.regex(c, path + ("pattern",), pattern)
    return Ask(prompt=value["prompt"], save_as=value["save_as"], next=value["next"],
               digits_min=low if digits is not None else None,
               digits_max=high if digits is not None else None, speech=speech, pattern=pattern,
               finish_on_key=value.get("finish_on_key", "#"), timeout=value.get("timeout", 5),
               attempts=value.get("attempts", 3), no_input=value.get("no_input"),
               invalid=value.get("invalid"), fallback=value.get("fallback"))


def _branch(c, path, value, extra, languages, media):
    rules = []
    for i, item in enumerate(value):
        if "goto" not in item:
            continue
        last = i == len(value) - 1
        if "if" in item and last:
            c.error(path + (i,), "the last branch rule must have no `if` (it is the default)")
        if "if" not in item and not last:
            c.error(path + (i,), "only the last branch rule may omit `if`; later rules would "
                                 "never run")
        when = checks.condition(c, path + (i, "if"), item["if"], languages) if "if" in item \
            else None
        rules.append(Rule(item["goto"], when))
    if not value:
        c.error(path, "branch needs at least one rule")
        return None
    return Branch(tuple(rules))


def _set(c, path, value, extra, languages, media):
    if "language" in value and value["language"] not in languages:
        c.error(path + ("language",), f"language {value['language']!r} is not offered by this "
                                      f"flow (languages: {', '.join(languages)})")
    return SetVars(value, extra["next"])


def _connect(c, path, value, extra, languages, media):
    kinds = [k for k in ("queue", "number", "client", "sip") if k in value]
    if len(kinds) != 1:
        c.error(path, "connect needs exactly one of queue, number, client or sip"
                      + (f", not {' and '.join(kinds)}" if kinds else ""))
        return None
    kind = kinds[0]
    for key in ("number", "caller_id"):
        if key in value:
            checks.e164(c, path + (key,), value[key])
    for key in ("priority", "skills"):
        if key in value and kind != "queue":
            c.error(path + (key,), f"{key} applies to queues only, not to a {kind} transfer")
    return Connect(kind=kind, target=value[kind], record=value.get("record", False),
                   timeout=value.get("timeout", 30), max_wait=value.get("max_wait", 300),
                   no_answer=value.get("no_answer"), next=value.get("next"),
                   caller_id=value.get("caller_id"), hold_music=value.get("hold_music"),
                   priority=value.get("priority", 0), skills=value.get("skills", {}))


def _voicemail(c, path, value, extra, languages, media):
    if "mailbox" not in value:
        return None
    return Voicemail(mailbox=value["mailbox"], prompt=value.get("prompt"),
                     next=value.get("next"), max_length=value.get("max_length", 120),
                     finish_key=value.get("finish_key", "#"),
                     silence_timeout=value.get("silence_timeout", 5),
                     review=value.get("review", True), saved=value.get("saved"))


def _callback(c, path, value, extra, languages, media):
    if "queue" not in value:
        return None
    return Callback(queue=value["queue"], next=value.get("next"), confirm=value.get("confirm"),
                    enter=value.get("enter"), done=value.get("done"),
                    attempts=value.get("attempts", 3), fallback=value.get("fallback"))


def _goto_flow(c, path, value, extra, languages, media):
    if isinstance(value, str) and value:
        return GotoFlow(value)
    checked = c.object(value, grammar.GOTO_FLOW, path, "goto_flow")
    return GotoFlow(checked["flow"], checked.get("step")) if "flow" in checked else None


def _hangup(c, path, value, extra, languages, media):
    if value is not True:
        c.error(path, "write `hangup: true` to end the call")
        return None
    return Hangup()


BUILDERS = {"say": _say, "play": _play, "menu": _menu, "ask": _ask, "branch": _branch,
            "set": _set, "connect": _connect, "voicemail": _voicemail, "callback": _callback,
            "goto_flow": _goto_flow, "hangup": _hangup}
