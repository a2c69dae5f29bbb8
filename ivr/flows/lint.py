"""Warnings beyond validity: flows that load, but trap, confuse or lose callers (`ivr flows lint`)."""

from __future__ import annotations

from collections.abc import Iterator

from ivr.flows.checks import reach, successors
from ivr.flows.errors import Problem
from ivr.flows.model import (
    Ask,
    Branch,
    Callback,
    Connect,
    Flow,
    GotoFlow,
    Menu,
    Play,
    Say,
    SetVars,
    Text,
    Voicemail,
)

SAY_MAX_CHARS = 4096        # Twilio <Say>: longer text is refused
HINTS_MAX = 500             # Twilio <Gather hints>: phrases per gather
HINT_MAX_CHARS = 100        # Twilio <Gather hints>: characters per phrase
HUMAN = (Connect, Voicemail, Callback, GotoFlow)   # an agent, a message, or another flow
INSTANT = (Say, Play, SetVars, Branch)             # run without waiting for the caller
KEYS = {Say: "say", Menu: "menu", Ask: "ask", Voicemail: "voicemail", Callback: "callback"}
TEXT_FIELDS = {Menu: ("prompt", "no_input", "invalid"), Ask: ("prompt", "no_input", "invalid"),
               Voicemail: ("prompt", "saved"), Callback: ("confirm", "enter", "done")}
RULES = ("menu-no-human", "retry-loop", "missing-language", "schedule-no-holidays",
         "say-too-long", "speech-hints")


def lint(flow: Flow) -> list[Problem]:
    """Every warning for one (valid) flow, sorted by position; each names its rule."""
    found = [*_menus_without_human(flow), *_retry_loops(flow), *_languages(flow),
             *_schedules(flow), *_twilio_limits(flow)]
    return sorted(found)


def _warn(flow: Flow, path: tuple, rule: str, message: str) -> Problem:
    line, col = flow.where(*path)
    return Problem(flow.path, line, col, f"{message} [{rule}]", "warning")


def silent_next(action) -> list[str]:
    """Where a caller who never presses or says anything (and whom nobody answers) goes."""
    if isinstance(action, INSTANT):
        return successors(action)
    return [target for _, target in _failure_exits(action) if target]


def _menus_without_human(flow: Flow) -> Iterator[Problem]:
    for name, step in flow.steps.items():
        if isinstance(step.action, Menu) and not any(
                isinstance(flow.steps[s].action, HUMAN) for s in reach(flow, name)):
            yield _warn(flow, ("steps", name), "menu-no-human",
                        f"menu {name!r} has no way to an agent, voicemail or callback")


def _retry_loops(flow: Flow) -> Iterator[Problem]:
    """A fallback that a silent caller follows back to the same step resets its tries forever."""
    for name, step in flow.steps.items():
        action = step.action
        for key, target in _failure_exits(action):
            if target and name in reach(flow, target, silent_next):
                yield _warn(flow, ("steps", name, KEYS.get(type(action), "connect"), key),
                            "retry-loop", f"{key} of {name!r} leads back to {name!r} via "
                            f"{target!r} for a caller who never answers, so the tries never "
                            "run out; end the loop at an agent, voicemail or a hang-up")


# Where a step sends a caller it gave up on: (key, target) per action that has one.
FAILURE_KEYS = {Menu: "fallback", Ask: "fallback", Callback: "fallback", Connect: "no_answer"}


def _failure_exits(action) -> list[tuple[str, str | None]]:
    key = FAILURE_KEYS.get(type(action))
    return [(key, getattr(action, key))] if key else []


def texts(flow: Flow) -> Iterator[tuple[str | None, tuple, Text]]:
    """Every text of a flow: (step name or None, key path, text)."""
    if flow.recording_notice is not None:
        yield None, ("recording_notice",), flow.recording_notice
    for name, step in flow.steps.items():
        action = step.action
        if isinstance(action, Say):
            yield name, ("steps", name, "say"), action.text
        for key in TEXT_FIELDS.get(type(action), ()):
            value = getattr(action, key)
            if value is not None:
                yield name, ("steps", name, KEYS[type(action)], key), value


def _languages(flow: Flow) -> Iterator[Problem]:
    if len(flow.languages) < 2:
        return
    switched: set[str] = set()
    for step in flow.steps.values():
        if isinstance(step.action, SetVars) and "language" in step.action.values:
            switched |= reach(flow, step.action.next)
    for step, path, text in texts(flow):
        given = set(text.by_language)
        if "" in given:
            if step in switched or step is None:
                yield _warn(flow, path, "missing-language",
                            f"text has one version for all languages, but callers may switch "
                            f"to {', '.join(flow.languages[1:])} before it; give one per language")
            continue
        missing = [lang for lang in flow.languages if lang not in given]
        if missing:
            yield _warn(flow, path, "missing-language",
                        f"text has no {', '.join(missing)} version, a language this flow "
                        "offers; those callers hear another language")


def _schedules(flow: Flow) -> Iterator[Problem]:
    for name, schedule in flow.hours.items():
        if not (schedule.holidays or schedule.closed_on or schedule.closed_ranges):
            yield _warn(flow, ("hours", name), "schedule-no-holidays",
                        f"schedule {name!r} has no holidays or closed_on dates, so it is open "
                        "on public holidays; add `holidays: JP` (or your country) or closed_on")


def _twilio_limits(flow: Flow) -> Iterator[Problem]:
    for _, path, text in texts(flow):
        for lang, words in text.by_language.items():
            if len(words) > SAY_MAX_CHARS:
                yield _warn(flow, path + ((lang,) if lang else ()), "say-too-long",
                            f"text is {len(words)} characters; Twilio <Say> takes at most "
                            f"{SAY_MAX_CHARS}")
    for name, step in flow.steps.items():
        action = step.action
        if not isinstance(action, Menu) or not action.speech:
            continue
        path = ("steps", name, "menu", "speech")
        if len(action.speech) > HINTS_MAX:
            yield _warn(flow, path, "speech-hints", f"{len(action.speech)} speech phrases; "
                                                   f"Twilio hints take at most {HINTS_MAX}")
        for phrase in action.speech:
            if len(phrase) > HINT_MAX_CHARS:
                yield _warn(flow, path + (phrase,), "speech-hints",
                            f"speech phrase {phrase[:20]!r}… is {len(phrase)} characters; "
                            f"Twilio hints take at most {HINT_MAX_CHARS} each")
