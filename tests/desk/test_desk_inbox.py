"""The inbox: folders, channel filter, and the waiting time coloured by configurable thresholds."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from core.accounts import find_user
from core.errors import ConfigError
from core.settings import Settings
from crm_link.tickets import update_ticket
from desk import inbox
from tests.desk.desk_data import seed_desk
from tests.desk.desk_helpers import login

NOW = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def seeded(db, settings, runtime):
    runtime.clock = lambda: NOW
    return seed_desk(db, settings.recordings_dir, NOW)


def _rows(html: str) -> dict[int, str]:
    """ticket id -> colour of its waiting time, as rendered."""
    found = re.findall(r'data-ticket-id="(\d+)".*?data-colour="(\w+)"', html, re.S)
    return {int(ticket): colour for ticket, colour in found}


def test_colours_follow_the_thresholds():
    limits = inbox.Thresholds(amber_minutes=60, red_minutes=240)
    assert limits.colour(dt.timedelta(minutes=59)) == "green"
    assert limits.colour(dt.timedelta(minutes=60)) == "amber"
    assert limits.colour(dt.timedelta(hours=4)) == "red"
    assert limits.colour(None) == "none"
    assert inbox.waited_text(dt.timedelta(hours=2, minutes=5)) == "2h 05m"
    assert inbox.waited_text(dt.timedelta(days=1, hours=3)) == "1d 3h"


def test_thresholds_are_settings_and_checked():
    settings = Settings.from_env({"IVR_ENV": "test", "INBOX_AMBER_MINUTES": "30",
                                  "INBOX_RED_MINUTES": "90", "IVR_DATA_DIR": "/tmp/ivr-desk"})
    assert (settings.inbox_amber_minutes, settings.inbox_red_minutes) == (30, 90)
    with pytest.raises(ConfigError, match=r"INBOX_AMBER_MINUTES \(300\) must be .* \(90\)"):
        Settings.from_env({"IVR_ENV": "test", "INBOX_AMBER_MINUTES": "300",
                           "INBOX_RED_MINUTES": "90", "IVR_DATA_DIR": "/tmp/ivr-desk"})


def test_unassigned_folder_colours_by_the_customers_last_message(signed_in, seeded):
    html = signed_in.get("/desk?folder=unassigned").get_data(as_text=True)
    # 山田花子's ticket: last inbound is the voicemail 20 min ago; Pat's chat is 5 h old.
    assert _rows(html) == {seeded.pat_ticket: "red", seeded.hanako_ticket: "green"}
    assert html.index("Refund status") < html.index("注文した商品が届きません")  # longest wait first
    assert "5h 00m" in html and "20m" in html


def test_configured_thresholds_change_the_colours(signed_in, seeded, runtime):
    runtime.settings = runtime.settings.with_(inbox_amber_minutes=10, inbox_red_minutes=600)
    html = signed_in.get("/desk?folder=unassigned").get_data(as_text=True)
    assert _rows(html) == {seeded.pat_ticket: "amber", seeded.hanako_ticket: "amber"}


def test_folders_and_the_channel_filter(signed_in, seeded, db):
    with db.session() as session:
        alice = find_user(session, "alice")
        update_ticket(session, seeded.hanako_ticket, assignee_id=alice.id, status="open")
        update_ticket(session, seeded.pat_ticket, assignee_id=alice.id, status="pending")
    assert _rows(signed_in.get("/desk?folder=unassigned").get_data(as_text=True)) == {}
    assert set(_rows(signed_in.get("/desk").get_data(as_text=True))) == {seeded.hanako_ticket}
    assert set(_rows(signed_in.get("/desk?folder=pending").get_data(as_text=True))) == {
        seeded.pat_ticket}
    assert _rows(signed_in.get("/desk?folder=mine&channel=chat").get_data(as_text=True)) == {}
    with db.session() as session:
        update_ticket(session, seeded.pat_ticket, status="solved")
        assert inbox.counts(session, alice.id) == {"unassigned": 0, "mine": 1, "pending": 0,
                                                   "solved": 1}
    solved = signed_in.get("/desk?folder=solved&channel=chat").get_data(as_text=True)
    assert _rows(solved) == {seeded.pat_ticket: "done"}


def test_bad_folder_or_channel_is_a_400_naming_it(signed_in):
    response = signed_in.get("/desk?folder=spam")
    assert response.status_code == 400 and "'spam' is not an inbox folder" in response.text
    response = signed_in.get("/desk?channel=fax")
    assert response.status_code == 400 and "'fax' is not a channel" in response.text


def test_english_agents_get_english_pages(client, make_user, seeded):
    make_user("pat", language="en", display_name="Pat Agent")
    login(client, "pat")
    html = client.get("/desk?folder=unassigned").get_data(as_text=True)
    assert "Unassigned" in html and "Since last customer message" in html and "未割り当て" not in html
