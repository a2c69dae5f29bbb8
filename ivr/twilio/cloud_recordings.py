"""The fake Twilio cloud's recordings: started on live legs through the REST API, paused and
resumed, reported when the leg ends, and served as audio at Twilio's path."""

from __future__ import annotations

import secrets
import time

from ivr.twilio.cloud_parts import FINAL, Leg, error


class Recordings:
    """FakeTwilioCloud's recording side (mixed in: uses its lock, legs, webhooks, scale)."""

    def recording_url(self, sid: str) -> str:
        """Where this cloud serves a recording's audio (`recording_audio`, as WAV)."""
        return f"{self.base_url}/2010-04-01/Accounts/{self.account}/Recordings/{sid}"

    def _audio(self) -> tuple[int, dict | bytes]:
        if self.recording_audio is None:
            return 404, error(20404, "The requested resource Recording was not found", 404)
        return 200, self.recording_audio

    def _record(self, sid: str, form: dict) -> tuple[int, dict]:
        """Start recording a live leg; reported (two channels when dual) when the leg ends."""
        with self._lock:
            leg = self.legs.get(sid)
        if leg is None:
            return 404, error(20404, f"The requested resource Call {sid} was not found", 404)
        if leg.status in FINAL:
            return 400, error(21220, "Call is not in-progress. Cannot record.", 400)
        recording = {"sid": "RE" + secrets.token_hex(16), "call_sid": sid, "status":
                     "in-progress", "channels": 2 if form.get("RecordingChannels") == "dual"
                     else 1, "callback": form.get("RecordingStatusCallback"),
                     "started": time.monotonic()}
        leg.recordings.append(recording)
        return 201, {k: v for k, v in recording.items() if k not in ("callback", "started")}

    def _update_recording(self, call_sid: str, sid: str, form: dict) -> tuple[int, dict]:
        """Pause (the file keeps silence) or resume a leg's recording."""
        with self._lock:
            leg = self.legs.get(call_sid)
        recording = next((r for r in leg.recordings if r["sid"] == sid), None) if leg else None
        if recording is None:
            return 404, error(20404, f"The requested resource Recording {sid} was not found",
                               404)
        status = form.get("Status")
        if status not in ("paused", "in-progress", "stopped"):
            return 400, error(21220, f"Invalid Status {status!r}.", 400)
        now = round((time.monotonic() - recording["started"]) / self.scale)
        if status == "paused" and recording["status"] == "in-progress":
            recording.setdefault("pauses", []).append([now, None])
        elif status == "in-progress" and recording["status"] == "paused":
            recording["pauses"][-1][1] = now
        recording["status"] = status
        return 200, {"sid": sid, "call_sid": call_sid, "status": status}

    def recordings_done(self, leg: Leg, url_for) -> list[dict]:
        """The leg ended: Twilio reports each of its REST recordings (`url_for(sid)`: where
        the audio is served)."""
        reports = []
        for recording in leg.recordings:
            seconds = round((time.monotonic() - recording["started"]) / self.scale)
            params = {"CallSid": leg.sid, "RecordingSid": recording["sid"],
                      "RecordingUrl": url_for(recording["sid"]), "RecordingStatus": "completed",
                      "RecordingDuration": str(seconds),
                      "RecordingChannels": str(recording["channels"]),
                      "RecordingSource": "StartCallRecordingAPI", "From": leg.from_,
                      "To": leg.to}
            recording["reported_pauses"] = recording.get("pauses", [])
            reports.append(params)
            if recording["callback"]:
                self.webhooks.post(recording["callback"], params)
        return reports
