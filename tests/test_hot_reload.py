"""Flow edits apply to new calls without a restart; bad edits are refused; calls keep revisions."""

import logging

from sqlalchemy import select

from core.runtime import Runtime
from core.web.app import create_app
from ivr.models import Call, FlowRevision
from ivr.twilio.simulator import Script, Twilio, flask_transport
from tests.conftest import PUBLIC_BASE_URL, TWILIO_SID, TWILIO_TOKEN

JA_LINE = "+81312345678"
NOON = "2026-11-24T12:00+09:00"
OLD_STORE = "店舗の営業時間は、毎日午前10時から午後8時まで、元日は休業です。"
NEW_STORE = "店舗の営業時間は、毎日午前9時から午後9時までです。"


def edit(flows_dir, old, new, name="support_ja.yaml"):
    path = flows_dir / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def start(client, sid):
    twilio = Twilio(PUBLIC_BASE_URL, TWILIO_SID, TWILIO_TOKEN, flask_transport(client))
    return twilio.post("/twilio/voice", {"CallSid": sid, "From": "+819011112222",
                                         "To": JA_LINE})


def press(client, sid, turn, digits):
    twilio = Twilio(PUBLIC_BASE_URL, TWILIO_SID, TWILIO_TOKEN, flask_transport(client))
    return twilio.post(f"/twilio/step?t={turn}&on=gather",
                       {"CallSid": sid, "From": "+819011112222", "To": JA_LINE, "Digits": digits})


def test_good_edit_applies_to_new_calls_while_old_calls_keep_their_revision(
        client, twilio, db, flows_dir, at):
    at(NOON)
    start(client, "CAold")                       # waiting at the main menu, old revision
    edit(flows_dir, OLD_STORE, NEW_STORE)
    new_call = twilio.call("+819011112222", JA_LINE, Script(inputs=["3"]))
    assert NEW_STORE in new_call.said()
    status, body = press(client, "CAold", 1, "3")
    assert OLD_STORE in body and NEW_STORE not in body
    with db.session() as session:
        revisions = {c.call_sid: c.flow_revision for c in session.scalars(select(Call))}
        archived = session.scalars(select(FlowRevision.revision).where(
            FlowRevision.name == "support")).all()
    assert revisions["CAold"] != revisions[new_call.call_sid]
    assert set(revisions.values()) <= set(archived)


def test_bad_edit_is_refused_and_the_last_good_revision_keeps_serving(
        client, twilio, flows_dir, at, caplog):
    at(NOON)
    caplog.set_level(logging.ERROR, logger="ivr.flows")
    edit(flows_dir, "next: store_now", "next: store_nwo")
    result = twilio.call("+819011112222", JA_LINE, Script(inputs=["3"]))
    assert OLD_STORE in result.said() and "現在、店舗は営業中です。" in result.said()
    ready = client.get("/readyz").get_json()
    flows = ready["checks"]["flows"]
    assert ready["status"] == "ready" and flows["ok"] is True
    assert any("support_ja.yaml:" in e and "no step named 'store_nwo'; did you mean 'store_now'?"
               in e for e in flows["errors"])
    logged = [r.problem for r in caplog.records if r.getMessage() == "flow refused"]
    assert any("store_nwo" in p for p in logged)
    edit(flows_dir, "next: store_nwo", "next: store_now")   # fixed: applies, errors clear
    assert client.get("/readyz").get_json()["checks"]["flows"]["errors"] == []


def test_yaml_syntax_error_in_an_edit_is_refused(client, twilio, flows_dir, at):
    at(NOON)
    edit(flows_dir, "  welcome:\n", "  welcome: [\n")
    assert twilio.call("+819011112222", JA_LINE, Script()).said()[0].startswith("お電話ありがとう")
    errors = client.get("/readyz").get_json()["checks"]["flows"]["errors"]
    assert any("YAML syntax" in e for e in errors)


def test_an_edit_that_breaks_the_set_is_refused_whole(client, twilio, flows_dir, at):
    at(NOON)
    edit(flows_dir, 'numbers: ["+12025550143"]', 'numbers: ["+81312345678"]', "english.yaml")
    result = twilio.call("+819011112222", JA_LINE, Script())
    assert result.said()[0].startswith("お電話ありがとうございます")  # still the Japanese line
    errors = client.get("/readyz").get_json()["checks"]["flows"]["errors"]
    assert any("english.yaml:" in e and "number +81312345678 is also claimed by flow 'support'"
               in e for e in errors)
    assert any("support_ja.yaml:" in e and "also claimed by flow 'english'" in e for e in errors)


def test_a_new_flow_file_goes_live_and_a_deleted_one_stops(client, twilio, flows_dir, at):
    at(NOON)
    (flows_dir / "sales.yaml").write_text(
        'name: sales\nnumbers: ["+81355551111"]\nlanguage: ja-JP\ntimezone: Asia/Tokyo\n'
        'start: a\nsteps:\n  a: {say: 営業部です, next: b}\n  b: {hangup: true}\n',
        encoding="utf-8")
    assert twilio.call("+819011112222", "+81355551111", Script()).said() == ["営業部です"]
    (flows_dir / "sales.yaml").unlink()
    said = twilio.call("+819011112222", "+81355551111", Script()).said()
    assert said[0].startswith("お電話ありがとうございます")  # the default flow answers now


def test_another_process_resumes_a_call_on_its_archived_revision(
        client, settings, db, flows_dir, at):
    at(NOON)
    start(client, "CAmoved")
    edit(flows_dir, OLD_STORE, NEW_STORE)
    # A second web process (another dyno) that has only ever seen the edited file.
    other = Runtime(settings, db=db, clock=lambda: client.application.extensions["runtime"].clock())
    other_client = create_app(runtime=other).test_client()
    status, body = press(other_client, "CAmoved", 1, "3")
    assert status == 200 and OLD_STORE in body
