"""How the engine words things: spoken text in the call's language and voice, and the gathers."""

from __future__ import annotations

import unicodedata

from ivr.flows.actions import Gather, RecordMessage, Speak
from ivr.flows.model import Ask, Callback, Flow, Menu, Text, Voicemail
from ivr.flows.phrases import phrase
from ivr.flows.state import CallState
from ivr.flows.text import render


def speak(flow: Flow, state: CallState, text: Text) -> Speak:
    words, language = text.pick(state.language, flow.language)
    return Speak(render(words, spoken_caller(state), state.vars), language,
                 flow.voice_for(language))


def spoken_caller(state: CallState) -> dict:
    caller = dict(state.caller)
    if caller.get("phone_spoken"):
        caller["phone"] = caller["phone_spoken"]
    return caller


def menu_gather(flow, state, menu: Menu, before: Text | None = None) -> Gather:
    prompts = ((speak(flow, state, before),) if before else ()) + (speak(flow, state, menu.prompt),)
    width = max(len(k) for k in menu.options)
    return Gather(prompts=prompts, speech=bool(menu.speech), timeout=menu.timeout,
                  language=state.language, num_digits=width,
                  finish_on_key="" if "#" in menu.options else "#",
                  hints=tuple(menu.speech))


def speech_key(menu: Menu, speech: str) -> str | None:
    heard = fold(speech)
    if not heard:
        return None
    for phrase_, key in menu.speech.items():
        if fold(phrase_) and fold(phrase_) in heard:
            return key
    return None


def fold(text: str) -> str:
    """Compare speech loosely: full/half width, case and spaces do not matter."""
    return "".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def ask_gather(flow, state, ask: Ask, before: Text | None = None) -> Gather:
    prompts = ((speak(flow, state, before),) if before else ()) + (speak(flow, state, ask.prompt),)
    return Gather(prompts=prompts, speech=ask.speech, timeout=ask.timeout,
                  language=state.language, num_digits=ask.digits_max,
                  finish_on_key=ask.finish_on_key)


def record(vm: Voicemail, take: int) -> RecordMessage:
    return RecordMessage(vm.mailbox, take, vm.max_length, vm.finish_key, vm.silence_timeout)


def callback_gather(flow, state, cb: Callback, phase: str, before: Text | None = None) -> Gather:
    text = (cb.confirm or phrase("callback_confirm")) if phase == "confirm" else (
        cb.enter or phrase("callback_enter"))
    prompts = ((speak(flow, state, before),) if before else ()) + (speak(flow, state, text),)
    return Gather(prompts, speech=False, timeout=10 if phase == "enter" else 5,
                  language=state.language, num_digits=1 if phase == "confirm" else None)
