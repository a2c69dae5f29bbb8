"""Flow files: every problem reported as path:line:col: message; valid files become Flows."""

from pathlib import Path

import pytest

from ivr.flows.model import Ask, Callback, Connect, GotoFlow, Menu, Play, Voicemail
from tests.flows.helpers import HEAD, flow_text, parse, problems

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["support_ja.yaml", "english.yaml"])
def test_shipped_flows_parse(name):
    path = ROOT / "flows" / name
    flow = parse(path.read_text(encoding="utf-8"), str(path))
    assert flow.steps and flow.start in flow.steps


def test_a_flow_parses_into_frozen_dataclasses():
    flow = parse(flow_text("""
        a: {say: {ja-JP: こんにちは, en-US: Hello}, next: m}
        m:
          menu:
            prompt: 番号を押してください
            options: {"1": q, "2": v, "#": b}
            speech: {質問: "1"}
        q: {ask: {prompt: 番号, digits: {min: 4, max: 6}, save_as: no, next: c, fallback: v}}
        c: {connect: {queue: support, record: true, no_answer: v}}
        v: {voicemail: {mailbox: sales}}
        b: {callback: {queue: support}}
    """))
    menu, ask = flow.steps["m"].action, flow.steps["q"].action
    assert isinstance(menu, Menu) and menu.options == {"1": "q", "2": "v", "#": "b"}
    assert (menu.timeout, menu.attempts, menu.fallback) == (5, 3, None)
    assert isinstance(ask, Ask) and (ask.digits_min, ask.digits_max, ask.save_as) == (4, 6, "no")
    assert isinstance(flow.steps["c"].action, Connect) and flow.steps["c"].action.record
    assert isinstance(flow.steps["v"].action, Voicemail)
    assert isinstance(flow.steps["b"].action, Callback)
    with pytest.raises(AttributeError):
        flow.name = "other"


def test_revision_is_the_content_hash():
    text = flow_text("a: {hangup: true}")
    assert parse(text).revision == parse(text).revision
    assert parse(text).revision != parse(text + "\n# edited\n").revision


def test_voice_string_applies_to_the_main_language():
    flow = parse(HEAD + "voice: Polly.Mizuki\nstart: a\nsteps:\n  a: {hangup: true}\n")
    assert flow.voice_for("ja-JP") == "Polly.Mizuki" and flow.voice_for("en-US") is None


@pytest.mark.parametrize("steps, expected", [
    ("a: {say: hi, next: b, colour: red}\nb: {hangup: true}",
     "t.yaml:7:25: unknown key 'colour' in a say step; allowed keys: say, next"),
    ("a: {menu: {prompt: hi, options: {'1': b}, timout: 3}}\nb: {hangup: true}",
     "t.yaml:7:45: unknown key 'timout' in menu (did you mean 'timeout'?); allowed keys: prompt, "
     "options, speech, timeout, attempts, no_input, invalid, fallback, repeat_key"),
    ("a: {say: hi, next: bey}\nbye: {hangup: true}",
     "t.yaml:7:22: no step named 'bey'; did you mean 'bye'?"),
    ("a: {say: hi, next: b}\nb: {hangup: true}\norphan: {hangup: true}",
     "t.yaml:9:3: step 'orphan' is unreachable from start 'a'"),
    ("a: {menu: {prompt: hi, options: {'1': a}}}",
     "t.yaml:7:3: menu 'a' has no exit: no option leads to a hang-up, transfer, voicemail, "
     "callback or another flow"),
    ("a: {say: hi, next: b}\nb: {branch: [{goto: a}]}",
     "t.yaml:7:3: steps a → b → a loop without waiting for the caller"),
    ("a: {say: {en-US: hi}, next: b}\nb: {hangup: true}",
     "t.yaml:7:12: text has no ja-JP version (the flow's language); it has en-US"),
    ("a: {say: 'Hi {caler.name}', next: b}\nb: {hangup: true}",
     "t.yaml:7:12: unknown placeholder {caler.name}; use {caller.name}, {caller.phone}, "
     "{caller.id} or {vars.NAME}"),
    ("a: {hangup: yes}",
     "t.yaml:7:15: hangup must be true or false, not 'yes' (YAML 1.1 yes/no/on/off are read as "
     "text here)"),
    ("a: {say: hi, menu: {prompt: x, options: {'1': a}}}",
     "t.yaml:7:3: step 'a' has 2 actions (say, menu); each step has exactly one of"),
    ("a: {next: b}\nb: {hangup: true}", "t.yaml:7:3: step 'a' has no action"),
    ("a: {connect: {queue: q, number: '+81312345678'}}",
     "t.yaml:7:16: connect needs exactly one of queue, number, client or sip, not queue and number"),
    ("a: {connect: {number: '03-1234-5678'}}",
     "t.yaml:7:25: '03-1234-5678' is not an E.164 number (write it like +81312345678)"),
    ("a: {ask: {prompt: x, save_as: v, next: b, digits: {min: 8, max: 4}}}\nb: {hangup: true}",
     "t.yaml:7:53: digits min (8) is larger than max (4)"),
    ("a: {ask: {prompt: x, save_as: v, next: b}}\nb: {hangup: true}",
     "ask collects either digits ({digits: {min, max}}) or speech (speech: true); give exactly one"),
    ("a: {ask: {prompt: x, save_as: v, next: b, speech: true, pattern: '(['}}\nb: {hangup: true}",
     "'([' is not a valid regular expression"),
    ("a: {branch: [{if: {open: biz}, goto: b}, {goto: b}]}\nb: {hangup: true}",
     "t.yaml:7:28: no schedule named 'biz' in hours"),
    ("a: {branch: [{goto: b}, {if: {caller: known}, goto: b}]}\nb: {hangup: true}",
     "only the last branch rule may omit `if`"),
    ("a: {branch: [{if: {var: x}, goto: b}, {goto: b}]}\nb: {hangup: true}",
     "`var` needs exactly one of equals, in or matches"),
    ("a: {branch: [{if: {caller: vip}, goto: b}, {goto: b}]}\nb: {hangup: true}",
     "caller must be one of known, unknown, anonymous, not 'vip'"),
    ("a: {set: {language: fr-FR}, next: b}\nb: {hangup: true}",
     "language 'fr-FR' is not offered by this flow (languages: ja-JP, en-US)"),
    ("a: {menu: {prompt: x, options: {'1': b}, timeout: 0}}\nb: {hangup: true}",
     "timeout must be between 1 and 60, not 0"),
    ("a: {menu: {prompt: x, options: {'12345': b}}}\nb: {hangup: true}",
     "'12345' is not allowed as a key of options"),
    ("a: {play: ../secret.mp3, next: b}\nb: {hangup: true}",
     "play needs an http(s) URL or an audio file name in the flows folder"),
    ("a: {goto_flow: {flow: other, stepp: x}}",
     "unknown key 'stepp' in goto_flow (did you mean 'step'?)"),
])
def test_problems_name_file_line_and_column(steps, expected):
    found = problems(flow_text(steps))
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("head, expected", [
    ("name: t\nlanguage: ja-JP\ntimezone: Asia/Tokio\n",
     "t.yaml:3:11: unknown time zone 'Asia/Tokio' (use an IANA name such as Asia/Tokyo)"),
    ("name: t\nlanguage: japanese\ntimezone: Asia/Tokyo\n",
     "t.yaml:2:11: language 'japanese' is not allowed here"),
    ("name: t\nlanguage: ja-JP\ntimezone: Asia/Tokyo\nnumbers: ['+8131234']\n",
     "t.yaml:4:11: '+8131234' is not a valid phone number"),
    ("name: t\nlanguage: ja-JP\ntimezone: Asia/Tokyo\ndefault: on\n",
     "t.yaml:4:10: default must be true or false, not 'on'"),
    ("name: t\nlanguage: ja-JP\ntimezone: Asia/Tokyo\nvoices: x\n",
     "t.yaml:4:1: unknown key 'voices' in the flow (did you mean 'voice'?)"),
    ("name: t\nlanguage: ja-JP\n", "the flow is missing required key 'timezone'"),
    ("name: t\nlanguage: ja-JP\ntimezone: Asia/Tokyo\nhours:\n  biz: {mon-fry: '09:00-18:00'}\n",
     "t.yaml:5:18: 'mon-fry' is not a day or day range"),
    ("name: t\nlanguage: ja-JP\ntimezone: Asia/Tokyo\nhours:\n  biz: {mon: '9-18'}\n",
     "hours must look like \"09:00-18:00\" (or closed, 24h), not '9-18'"),
    ("name: t\nlanguage: ja-JP\ntimezone: Asia/Tokyo\nhours:\n  biz: {closed_on: ['2026-02-30']}\n",
     "'2026-02-30' is not a date (YYYY-MM-DD)"),
    ("name: t\nlanguage: ja-JP\ntimezone: Asia/Tokyo\nhours:\n  biz: {holidays: XX}\n",
     "holidays must be a country code such as JP or US, not 'XX'"),
])
def test_top_level_problems(head, expected):
    found = problems(head + "start: a\nsteps:\n  a: {hangup: true}\n")
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_at_once():
    found = problems(flow_text("a: {say: hi, next: nope, x: 1}\nb: {hangup: maybe}"))
    assert len(found) >= 3


def test_empty_file():
    assert problems("") == ["t.yaml:1:1: the file is empty; a flow needs name, language, "
                            "timezone, start and steps"]


def test_play_of_a_missing_media_file_is_refused():
    text = flow_text("a: {play: hold.mp3, next: b}\nb: {hangup: true}")
    assert isinstance(parse(text, media=frozenset({"hold.mp3"})).steps["a"].action, Play)
    assert any("audio file 'hold.mp3' is not in the flows folder" in p
               for p in problems(text, media=frozenset()))


def test_goto_flow_forms():
    flow = parse(flow_text("a: {goto_flow: english}\n"))
    assert flow.steps["a"].action == GotoFlow("english")
    flow = parse(flow_text("a: {goto_flow: {flow: english, step: menu}}\n"))
    assert flow.steps["a"].action == GotoFlow("english", "menu")
