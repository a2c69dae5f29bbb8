"""The fake Twilio cloud's conferences: rooms whose members join from TwiML or the
Participants API, hold with music, mute and coach, and report to their status callback."""

from __future__ import annotations

import secrets
import threading
import time
import xml.etree.ElementTree as ET

from ivr.twilio.cloud_parts import Leg, Room, error


class Conferences:
    """FakeTwilioCloud's conference side (mixed in: uses its lock, legs, rooms, webhooks)."""

    def _update_participant(self, conference: str, call_sid: str,
                            form: dict) -> tuple[int, dict]:
        """Hold (with HoldUrl's music) or bring back a participant; Twilio tells the room."""
        with self._lock:
            room = next((r for r in self.rooms.values() if r.sid == conference), None)
        if room is None or call_sid not in room.members:
            return 404, error(20404, f"The requested resource Participant {call_sid} was not "
                               "found", 404)
        if "Muted" in form:
            (room.muted.add if form["Muted"] == "true" else room.muted.discard)(call_sid)
        if form.get("Coaching") == "true":
            room.coaching[call_sid] = form.get("CallSidToCoach")
        elif "Coaching" in form:
            room.coaching.pop(call_sid, None)
        if "EndConferenceOnExit" in form:
            room.end_on_exit[call_sid] = form["EndConferenceOnExit"] == "true"
        if "Hold" in form:
            on = form["Hold"] == "true"
            if on:
                room.held[call_sid] = form.get("HoldUrl")
            else:
                room.held.pop(call_sid, None)
            self._room_event(room, "participant-hold" if on else "participant-unhold",
                             call_sid, Hold=str(on).lower())
        return 200, {"call_sid": call_sid, "conference_sid": room.sid,
                     "hold": call_sid in room.held, "status": "connected"}

    def _add_participant(self, conference: str, form: dict) -> tuple[int, dict]:
        """Ring `To` into a room (by its sid or name); on answer it joins, with no TwiML."""
        with self._lock:
            room = next((r for r in self.rooms.values() if conference in (r.sid, r.name)), None)
        if room is None or room.ended.is_set():
            return 404, error(20404, f"The requested resource Conference {conference} was "
                               "not found", 404)
        for name, code in (("To", 21201), ("From", 21213)):
            if not form.get(name):
                return 400, error(code, f"Required parameter {name} missing.", 400)
        leg = Leg("CA" + secrets.token_hex(16), form["To"], form["From"], "outbound-api")
        with self._lock:
            self.legs[leg.sid] = leg
        noun = ET.Element("Conference", {
            "endConferenceOnExit": form.get("EndConferenceOnExit", "false"),
            "startConferenceOnEnter": form.get("StartConferenceOnEnter", "true")})
        noun.text = room.name
        thread = threading.Thread(target=self._ring, args=(leg, {**form, "_room": noun}),
                                  daemon=True)
        self._threads.append(thread)
        thread.start()
        return 201, {"call_sid": leg.sid, "conference_sid": room.sid, "label": form.get("Label"),
                     "status": "queued", "hold": False, "muted": False}

    def _room_event(self, room: Room, event: str, call_sid: str | None = None,
                    **extra: str) -> None:
        short = event.split("-", 1)[1]   # conference-start -> start, participant-join -> join
        if not room.callback or short not in room.events:
            return
        params = {"ConferenceSid": room.sid, "FriendlyName": room.name,
                  "StatusCallbackEvent": event, **extra}
        if call_sid:
            params["CallSid"] = call_sid
        self.webhooks.post(room.callback, params)

    def attend(self, leg: Leg, noun: ET.Element, talk: float | None = None) -> float:
        """Be in a conference until it ends (or, with `talk`, leave after that many simulated
        seconds of company); the seconds spent in it. The room reports to the statusCallback
        its first participant gave."""
        room, started = self.room(noun.text or ""), time.monotonic()
        with room.joined:
            if room.callback is None and noun.get("statusCallback"):
                room.callback = noun.get("statusCallback")
                room.events = tuple((noun.get("statusCallbackEvent") or "").split())
            room.members.add(leg.sid)
            room.end_on_exit[leg.sid] = noun.get("endConferenceOnExit") == "true"
            if noun.get("muted") == "true":
                room.muted.add(leg.sid)
            if noun.get("coach"):
                room.coaching[leg.sid] = noun.get("coach")
            room.joined.notify_all()
            starts = not room.started and noun.get("startConferenceOnEnter", "true") == "true"
            room.started = room.started or starts
        if starts:
            self._room_event(room, "conference-start")
        self._room_event(room, "participant-join", leg.sid)
        if talk is not None:
            with room.joined:
                room.joined.wait_for(lambda: len(room.members) > 1 or room.ended.is_set(),
                                     timeout=60 * self.scale + 10)
            room.ended.wait(talk * self.scale)
        else:
            while not room.ended.wait(0.01) and not leg.hangup:
                pass
        with room.joined:
            room.members.discard(leg.sid)
            room.held.pop(leg.sid, None)
            room.muted.discard(leg.sid)
            room.coaching.pop(leg.sid, None)
            ends = room.end_on_exit.pop(leg.sid, False) or not room.members
            last = ends and not room.ended.is_set()
            if ends:
                room.ended.set()
        self._room_event(room, "participant-leave", leg.sid)
        if last:
            self._room_event(room, "conference-end")
        return (time.monotonic() - started) / self.scale
