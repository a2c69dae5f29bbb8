"""The pure engine, table-driven: (flow, state, input, world) -> (verbs, effects, state)."""

import datetime as dt

import pytest

from ivr.flows import engine, steps
from ivr.flows.actions import (
    BookCallback,
    DialOut,
    DiscardTake,
    Gather,
    HangUp,
    JoinQueue,
    JoinRoom,
    LeaveQueue,
    Note,
    RecordMessage,
    Speak,
    ToQueue,
)
from ivr.flows.errors import FlowRuntimeError
from ivr.flows.state import Bridged, CallState, DialResult, Input, QueueResult, Recorded, World
from tests.flows.helpers import flow_text, parse

NOW = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)       # Tuesday 12:00 in Tokyo
KNOWN = {"known": True, "customer_id": 7, "name": "山田", "phone": "+819012345678",
         "phone_spoken": "090-1234-5678", "phone_kind": "e164", "open_ticket_ids": [3]}
UNKNOWN = {"known": False, "phone": "+819011112222", "phone_kind": "e164", "open_ticket_ids": []}
ANONYMOUS = {"known": False, "phone": None, "phone_kind": "anonymous", "open_ticket_ids": []}
HEAD = """\
name: t
language: ja-JP
languages: [ja-JP, en-US]
voice: {ja-JP: Polly.Mizuki, en-US: Polly.Joanna}
timezone: Asia/Tokyo
recording_notice: {ja-JP: 録音します, en-US: Recorded}
hours:
  biz: {mon-fri: "09:00-18:00"}
"""


def world(now=NOW, flows=None):
    return World(now=now, flows=flows or {},
                 normalize_phone=lambda d: "+81" + d[1:] if d.startswith("0") and len(d) >= 10
                 else None)


def make(steps: str):
    return parse(flow_text(steps, head=HEAD))


def said(turn) -> list[str]:
    out = []
    for verb in turn.verbs:
        if isinstance(verb, Speak):
            out.append(verb.text)
        elif isinstance(verb, Gather):
            out += [p.text for p in verb.prompts]
    return out


def steps_of(turn) -> list[str]:
    return [e.data["step"] for e in turn.effects if isinstance(e, Note) and e.kind == "step"]


MENU = """
a:
  menu:
    prompt: メニュー
    options: {"1": one, "2": two, "#": pound}
    speech: {注文: "1", order: "1"}
    attempts: 3
    no_input: 聞こえません
    invalid: 違います
    repeat_key: "*"
    fallback: fb
one: {say: 一, next: end}
two: {say: 二, next: end}
pound: {say: シャープ, next: end}
fb: {say: 担当へ, next: end}
end: {hangup: true}
"""


def test_say_then_hangup():
    turn = engine.start(make("a: {say: こんにちは, next: b}\nb: {hangup: true}"), world(), {})
    assert turn.verbs == (Speak("こんにちは", "ja-JP", "Polly.Mizuki"), HangUp())
    assert turn.state.ended and steps_of(turn) == ["a", "b"]


@pytest.mark.parametrize("inputs, expected_said, ends_at", [
    ([Input(digits="1")], ["一"], "one"),
    ([Input(digits="#")], ["シャープ"], "pound"),
    ([Input(speech="注文をお願いします")], ["一"], "one"),
    ([Input(speech="ＯＲＤＥＲ please")], ["一"], "one"),     # full-width and case fold
    ([Input(digits="9"), Input(digits="2")], ["違います", "メニュー", "二"], "two"),
    ([Input(), Input(digits="1")], ["聞こえません", "メニュー", "一"], "one"),
    ([Input(), Input(digits="7"), Input()], ["聞こえません", "メニュー", "違います", "メニュー",
                                            "担当へ"], "fb"),
    ([Input(digits="*"), Input(digits="*"), Input(digits="1")], ["メニュー", "メニュー", "一"],
     "one"),
])
def test_menu(inputs, expected_said, ends_at):
    flow = make(MENU)
    turn = engine.start(flow, world(), {})
    assert isinstance(turn.verbs[-1], Gather) and turn.verbs[-1].num_digits == 1
    assert turn.verbs[-1].finish_on_key == ""  # "#" is an option, so it cannot end input
    heard = []
    for event in inputs:
        turn = engine.advance(flow, turn.state, event, world())
        heard += said(turn)
    assert heard == expected_said
    assert ends_at in steps_of(turn) and turn.state.ended


def test_menu_without_fallback_hangs_up_after_the_last_try():
    flow = make('a: {menu: {prompt: p, options: {"1": b}, attempts: 2}}\nb: {hangup: true}')
    turn = engine.start(flow, world(), {})
    turn = engine.advance(flow, turn.state, Input(), world())
    assert turn.state.attempts == 1 and not turn.state.ended
    turn = engine.advance(flow, turn.state, Input(digits="5"), world())
    assert turn.verbs == (HangUp(),) and turn.state.ended
    assert [e.kind for e in turn.effects if isinstance(e, Note)] == ["input_failed", "gave_up"]


ASK = """
a:
  ask: {prompt: 番号, digits: {min: 6, max: 10}, save_as: member, attempts: 2, next: ok,
        fallback: fb, invalid: 桁数が違います}
ok: {say: "番号{vars.member}", next: end}
fb: {say: 担当へ, next: end}
end: {hangup: true}
"""


@pytest.mark.parametrize("digits, heard", [
    ("123456#", ["番号123456"]),
    ("1234567", ["番号1234567"]),            # partial digits at a timeout are kept
    ("1234567890", ["番号1234567890"]),
    ("12345", ["桁数が違います", "番号"]),
    ("12ab56", ["桁数が違います", "番号"]),
])
def test_ask_digits(digits, heard):
    flow = make(ASK)
    turn = engine.start(flow, world(), {})
    assert turn.verbs[-1].num_digits == 10 and turn.verbs[-1].finish_on_key == "#"
    turn = engine.advance(flow, turn.state, Input(digits=digits), world())
    assert said(turn) == heard


def test_ask_gives_up_to_the_fallback():
    flow = make(ASK)
    state = engine.start(flow, world(), {}).state
    state = engine.advance(flow, state, Input(), world()).state
    turn = engine.advance(flow, state, Input(digits="1"), world())
    assert said(turn) == ["担当へ"] and turn.state.vars == {}


def test_ask_speech_with_pattern():
    flow = make('a: {ask: {prompt: p, speech: true, pattern: "(?i)ac[0-9]{4}", save_as: acct, '
                'next: b}}\nb: {say: "{vars.acct}", next: c}\nc: {hangup: true}')
    state = engine.start(flow, world(), {}).state
    assert engine.advance(flow, state, Input(speech="hello"), world()).state.step == "a"
    turn = engine.advance(flow, state, Input(speech="ＡＣ１２３４"), world())
    assert said(turn) == ["AC1234"]


BRANCH = """
a:
  branch:
    - {if: %s, goto: yes_}
    - goto: no_
yes_: {say: yes, next: end}
no_: {say: no, next: end}
end: {hangup: true}
"""
EVENING = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC)  # 20:00 in Tokyo


@pytest.mark.parametrize("condition, caller, variables, language, now, expected", [
    ("{open: biz}", {}, {}, "ja-JP", NOW, "yes"),
    ("{open: biz}", {}, {}, "ja-JP", EVENING, "no"),
    ("{closed: biz}", {}, {}, "ja-JP", EVENING, "yes"),
    ("{caller: known}", KNOWN, {}, "ja-JP", NOW, "yes"),
    ("{caller: known}", UNKNOWN, {}, "ja-JP", NOW, "no"),
    ("{caller: unknown}", UNKNOWN, {}, "ja-JP", NOW, "yes"),
    ("{caller: unknown}", ANONYMOUS, {}, "ja-JP", NOW, "yes"),
    ("{caller: anonymous}", ANONYMOUS, {}, "ja-JP", NOW, "yes"),
    ("{caller: anonymous}", UNKNOWN, {}, "ja-JP", NOW, "no"),
    ("{caller_has_open_ticket: true}", KNOWN, {}, "ja-JP", NOW, "yes"),
    ("{caller_has_open_ticket: true}", UNKNOWN, {}, "ja-JP", NOW, "no"),
    ("{caller_has_open_ticket: false}", UNKNOWN, {}, "ja-JP", NOW, "yes"),
    ("{var: tier, equals: gold}", {}, {"tier": "gold"}, "ja-JP", NOW, "yes"),
    ("{var: tier, equals: gold}", {}, {}, "ja-JP", NOW, "no"),
    ("{var: tier, in: [gold, silver]}", {}, {"tier": "silver"}, "ja-JP", NOW, "yes"),
    ("{var: id, matches: '[0-9]{6}'}", {}, {"id": "123456"}, "ja-JP", NOW, "yes"),
    ("{var: id, matches: '[0-9]{6}'}", {}, {"id": "1234567"}, "ja-JP", NOW, "no"),  # whole
    ("{language: en-US}", {}, {}, "en-US", NOW, "yes"),
    ("{caller: known, open: biz}", KNOWN, {}, "ja-JP", NOW, "yes"),
    ("{caller: known, open: biz}", KNOWN, {}, "ja-JP", EVENING, "no"),   # all must hold
])
def test_conditions(condition, caller, variables, language, now, expected):
    flow = make(BRANCH % condition)
    state = CallState(flow="t", revision=flow.revision, language=language, caller=caller,
                      vars=variables)
    turn = engine.run(flow, state, world(now), "a", steps.Out())
    assert said(turn) == [expected]


def test_set_switches_language_and_voice_and_fills_templates():
    flow = make("""
a: {set: {language: en-US, greeting: "Hi {caller.name}"}, next: b}
b: {say: {ja-JP: こんにちは, en-US: "{vars.greeting}, {vars.missing}!"}, next: c}
c: {hangup: true}
""")
    turn = engine.start(flow, world(), KNOWN)
    assert turn.verbs[0] == Speak("Hi 山田, !", "en-US", "Polly.Joanna")
    assert turn.state.language == "en-US"
    assert Note("language", {"from": "ja-JP", "to": "en-US"}) in turn.effects


def test_text_falls_back_to_the_flow_language():
    flow = make("a: {set: {language: en-US}, next: b}\nb: {say: 日本語だけ, next: c}\n"
                "c: {hangup: true}")
    assert engine.start(flow, world(), {}).verbs[0] == Speak("日本語だけ", "en-US", "Polly.Joanna")


def test_connect_number_records_with_notice_and_routes_the_result():
    flow = make("""
a: {connect: {number: "+81312345678", record: true, timeout: 20, no_answer: vm, next: bye}}
vm: {voicemail: {mailbox: support}}
bye: {say: ありがとう, next: end}
end: {hangup: true}
""")
    turn = engine.start(flow, world(), {})
    assert turn.verbs == (Speak("録音します", "ja-JP", "Polly.Mizuki"),
                          DialOut("number", "+81312345678", True, 20, None))
    done = engine.advance(flow, turn.state, DialResult("completed"), world())
    assert said(done) == ["ありがとう"] and done.state.ended
    missed = engine.advance(flow, turn.state, DialResult("busy"), world())
    assert isinstance(missed.verbs[-1], RecordMessage) and missed.state.step == "vm"


QUEUE = """
a: {connect: {queue: support, max_wait: 120, no_answer: vm, next: bye}}
vm: {voicemail: {mailbox: support}}
bye: {say: ありがとう, next: end}
end: {hangup: true}
"""


@pytest.mark.parametrize("events, expect", [
    ([Bridged("offer-1"), DialResult("completed")], "bye"),   # an agent took them, talked
    ([QueueResult("leave")], "vm"),                            # waited too long
    ([QueueResult("queue-full")], "vm"),
    ([QueueResult("hangup")], None),                           # caller gave up waiting
    ([Bridged("offer-1"), DialResult("failed"), Bridged("offer-2"), DialResult("completed")],
     "bye"),                                                   # first agent lost: back in line
])
def test_connect_queue(events, expect):
    flow = make(QUEUE)
    turn = engine.start(flow, world(), {})
    assert turn.verbs == (ToQueue("support", False, 30, 120, None, "ja-JP", "Polly.Mizuki"),)
    assert JoinQueue("support", 0, (), 120) in turn.effects   # the distributor keeps the place
    for event in events:
        turn = engine.advance(flow, turn.state, event, world())
        if isinstance(event, Bridged):
            assert turn.verbs == (JoinRoom(event.room, False),)
            assert turn.state.phase == "talking"
        elif isinstance(event, DialResult) and event.status == "failed":
            assert isinstance(turn.verbs[-1], ToQueue) and turn.state.phase == "waiting"
        elif isinstance(event, QueueResult):
            assert LeaveQueue(event.result) in turn.effects
    if expect is None:
        assert turn.verbs == () and turn.state.ended
    else:
        assert expect in steps_of(turn)


def test_a_call_back_pressed_while_waiting_ends_the_call_politely():
    flow = make(QUEUE)
    turn = engine.start(flow, world(), {})
    turn = engine.advance(flow, turn.state, QueueResult("callback"), world())
    assert isinstance(turn.verbs[-1], HangUp) and turn.state.ended
    assert "折り返しのお電話を承りました" in said(turn)[0]


VOICEMAIL = """
a: {voicemail: {mailbox: sales, prompt: どうぞ, max_length: 60, next: bye}}
bye: {say: さようなら, next: end}
end: {hangup: true}
"""


def test_voicemail_review_rerecord_and_save():
    flow = make(VOICEMAIL)
    turn = engine.start(flow, world(), {})
    assert turn.verbs == (Speak("どうぞ", "ja-JP", "Polly.Mizuki"),
                          RecordMessage("sales", 1, 60, "#", 5))
    turn = engine.advance(flow, turn.state, Recorded(12), world())
    assert turn.state.phase == "review" and "録音し直すには2" in said(turn)[0]
    turn = engine.advance(flow, turn.state, Input(digits="2"), world())
    assert DiscardTake("sales", 1) in turn.effects
    assert turn.verbs[-1] == RecordMessage("sales", 2, 60, "#", 5)
    turn = engine.advance(flow, turn.state, Recorded(9), world())
    turn = engine.advance(flow, turn.state, Input(), world())   # silence saves
    assert said(turn) == ["メッセージをお預かりしました。", "さようなら"] and turn.state.ended


def test_empty_voicemail_and_no_review():
    flow = make(VOICEMAIL.replace("next: bye}", "review: false, next: bye}"))
    state = engine.start(flow, world(), {}).state
    assert said(engine.advance(flow, state, Recorded(0), world()))[0] == (
        "メッセージが録音されませんでした。")
    saved = engine.advance(flow, state, Recorded(30), world())
    assert said(saved) == ["メッセージをお預かりしました。", "さようなら"]


CALLBACK = """
a: {callback: {queue: returns, attempts: 2, next: bye, fallback: fb}}
bye: {say: さようなら, next: end}
fb: {say: 担当へ, next: end}
end: {hangup: true}
"""


@pytest.mark.parametrize("caller, inputs, booked, last", [
    (KNOWN, ["1"], "+819012345678", "さようなら"),
    (KNOWN, ["2", "0312345678#"], "+81312345678", "さようなら"),
    (ANONYMOUS, ["0312345678#"], "+81312345678", "さようなら"),
    (ANONYMOUS, ["123#", "45#"], None, "担当へ"),
    (KNOWN, ["9", ""], None, "担当へ"),
])
def test_callback(caller, inputs, booked, last):
    flow = make(CALLBACK)
    turn = engine.start(flow, world(), caller)
    if caller is KNOWN:
        assert "090-1234-5678 に折り返し" in said(turn)[0]  # read back in national format
    for digits in inputs:
        turn = engine.advance(flow, turn.state, Input(digits=digits), world())
    bookings = [e for e in turn.effects if isinstance(e, BookCallback)]
    assert bookings == ([BookCallback("returns", booked)] if booked else [])
    assert said(turn)[-1] == last


def test_goto_flow_keeps_an_offered_language():
    other = parse(flow_text("x: {say: {ja-JP: 別, en-US: Other}, next: y}\ny: {hangup: true}",
                            head=HEAD.replace("name: t", "name: other"), start="x"), "o.yaml")
    flow = make("a: {set: {language: en-US}, next: b}\nb: {goto_flow: other}")
    turn = engine.start(flow, world(flows={"other": other}), {})
    assert said(turn) == ["Other"]
    assert (turn.state.flow, turn.state.revision) == ("other", other.revision)


def test_goto_flow_ping_pong_is_stopped():
    one = parse(flow_text("a: {goto_flow: two}", head=HEAD.replace("name: t", "name: one")))
    two = parse(flow_text("a: {goto_flow: one}", head=HEAD.replace("name: t", "name: two")))
    with pytest.raises(FlowRuntimeError, match="without waiting for the caller"):
        engine.start(one, world(flows={"one": one, "two": two}), {})


def test_unexpected_input_is_a_runtime_error():
    flow = make(QUEUE)
    state = engine.start(flow, world(), {}).state
    with pytest.raises(FlowRuntimeError, match="cannot take Input"):
        engine.advance(flow, state, Input(digits="1"), world())


def test_call_state_survives_json():
    state = engine.start(make(MENU), world(), KNOWN).state
    assert CallState.from_dict(state.to_dict()) == state
