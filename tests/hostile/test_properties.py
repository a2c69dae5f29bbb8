"""Property-based tests: whatever Twilio, a caller, a supervisor or a mail server sends,
the answer is a clear 4xx, a Flow or a FlowError, or safe TwiML — never a 500 or a traceback."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_link.phones import parse_phone
from ivr.flows.errors import FlowError
from ivr.flows.parse import parse_flow
from ivr.twilio.simulator import signed_headers
from tests.conftest import API_TOKEN, PUBLIC_BASE_URL, TWILIO_SID, TWILIO_TOKEN
from tests.twiml_check import validate

ROOT = Path(__file__).resolve().parents[2]
FAST = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
TWILIO_KEYS = ["CallSid", "From", "To", "Digits", "SpeechResult", "Confidence", "CallStatus",
               "CallDuration", "DialCallStatus", "QueueResult", "QueuePosition", "QueueTime",
               "RecordingSid", "RecordingUrl", "RecordingDuration", "RecordingChannels",
               "RecordingStatus", "ParentCallSid"]
ROUTES = ["/twilio/voice", "/twilio/step?t=1&on=gather", "/twilio/step?t=1&on=dial",
          "/twilio/step?t=1&on=queue", "/twilio/step?t=1&on=record", "/twilio/step?t=x&on=zz",
          "/twilio/queue/wait?t=1", "/twilio/status", "/twilio/acd/agent?offer=1",
          "/twilio/acd/answer?offer=1", "/twilio/acd/bridge?offer=x", "/twilio/acd/agent?offer=x",
          "/twilio/recording?kind=voicemail&mailbox=support&take=1",
          "/twilio/recording?kind=weird", "/twilio/fallback/done"]
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
params = st.dictionaries(st.sampled_from(TWILIO_KEYS), text, max_size=10)


@FAST
@given(route=st.sampled_from(ROUTES), data=params, known_call=st.booleans())
def test_signed_webhooks_with_any_parameters_never_fail(client, twiml_schema, at, route, data,
                                                        known_call):
    at("2026-11-24T12:00+09:00")
    if known_call:  # a real call waiting at the main menu, so steps reach the engine
        first = {"CallSid": "CAfuzz", "From": "+819011112222", "To": "+81312345678"}
        client.post("/twilio/voice", data=first,
                    headers=signed_headers(TWILIO_TOKEN, PUBLIC_BASE_URL + "/twilio/voice", first))
        data = {**data, "CallSid": "CAfuzz"}
    data = {"AccountSid": TWILIO_SID, **data}
    response = client.post(route, data=data,
                           headers=signed_headers(TWILIO_TOKEN, PUBLIC_BASE_URL + route, data))
    assert response.status_code in (200, 204, 400), response.get_data(as_text=True)[:500]
    if response.status_code == 200:
        validate(twiml_schema, response.get_data(as_text=True))
    assert b"Traceback" not in response.data


@FAST
@given(raw=text)
def test_phone_numbers_of_any_shape_are_classified(raw):
    parsed = parse_phone(raw, "JP")
    assert parsed.kind in ("e164", "anonymous", "client", "sip", "invalid")
    if parsed.kind == "e164":
        assert parsed.value.startswith("+") and parsed.value[1:].isdigit()
        assert parse_phone(parsed.value, "US").value == parsed.value   # normal form is stable


@FAST
@given(digits=st.text(alphabet="0123456789-() +０１２３４５６７８９", min_size=1, max_size=20),
       region=st.sampled_from(["JP", "US", "GB"]))
def test_number_like_input_never_crashes(digits, region):
    assert parse_phone(digits, region).kind in ("e164", "invalid", "anonymous")


@FAST
@given(content=st.binary(max_size=2000))
def test_any_bytes_as_a_flow_file_give_a_flow_or_flow_errors(content):
    try:
        parse_flow(content, "fuzz.yaml")
    except FlowError as exc:
        assert exc.problems and all(p.line >= 1 and p.col >= 1 for p in exc.problems)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=20)
shipped = yaml.safe_load((ROOT / "flows" / "support_ja.yaml").read_text(encoding="utf-8"))


@FAST
@given(path=st.lists(st.sampled_from(sorted(shipped["steps"])), min_size=1, max_size=1),
       key=st.text(max_size=12), value=yaml_values)
def test_mutated_flows_give_a_flow_or_flow_errors(path, key, value):
    """Take the real Japanese flow and break one step in a random way."""
    flow = yaml.safe_load((ROOT / "flows" / "support_ja.yaml").read_text(encoding="utf-8"))
    step = flow["steps"][path[0]]
    step[key or "next"] = value
    try:
        parse_flow(yaml.safe_dump(flow, allow_unicode=True).encode(), "mutated.yaml")
    except FlowError as exc:
        assert all(str(p).startswith("mutated.yaml:") for p in exc.problems)


@FAST
@given(body=st.binary(max_size=3000))
def test_any_bytes_as_inbound_email_get_a_clear_answer(client, body):
    response = client.post("/api/email/inbound", data=body,
                           headers={"Authorization": f"Bearer {API_TOKEN}",
                                    "Content-Type": "message/rfc822"})
    assert response.status_code in (201, 200, 400, 413, 415, 422), response.status_code
    assert response.is_json and "error" in response.get_json() or response.status_code < 300


def test_oversized_bodies_are_refused(client, api_headers):
    big = {"CallSid": "CAbig", "Digits": "1" * (3 * 1024 * 1024)}
    response = client.post("/twilio/voice", data=big,
                           headers=signed_headers(TWILIO_TOKEN, PUBLIC_BASE_URL + "/twilio/voice",
                                                  big))
    assert response.status_code == 413
    huge_mail = b"Subject: x\r\n\r\n" + b"a" * (26 * 1024 * 1024)
    response = client.post("/api/email/inbound", data=huge_mail,
                           headers={**api_headers, "Content-Type": "message/rfc822"})
    assert response.status_code == 413
    response = client.post("/api/messages", data=b"{" + b" " * (3 * 1024 * 1024) + b"}",
                           headers={**api_headers, "Content-Type": "application/json"})
    assert response.status_code == 413
