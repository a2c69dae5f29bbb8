"""A seeded random contact-center history, and the report figures computed from it in plain Python.

The expectations here never call supervisor.reports: they walk the generated records one by
one, with the definitions written out again, so a wrong SQL filter or bucket shows up as a
mismatch.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from crm_link.models import CHANNELS, Customer, Interaction, Ticket
from ivr.models import Call

TOKYO = ZoneInfo("Asia/Tokyo")
KINDS = ("ivr", "abandoned_ivr", "missed", "abandoned_queue", "agent", "voicemail",
         "callback", "transferred")
AGENTS = ("alice", "bob", "carol")
NON_VOICE = ("email", "chat", "sms", "web")


@dataclass
class History:
    calls: list[dict] = field(default_factory=list)
    tickets: list[dict] = field(default_factory=list)
    interactions: list[dict] = field(default_factory=list)


def jst(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second,
                       tzinfo=TOKYO).astimezone(dt.UTC)


def generate(rng: random.Random, first: dt.date, last: dt.date, n_calls: int = 160,
             n_tickets: int = 60, n_interactions: int = 80,
             user_ids: dict[str, int] | None = None) -> History:
    """Records spread over the period and a day either side, with the boundary cases pinned."""
    days = (last - first).days + 3
    base = first - dt.timedelta(days=1)

    def moment() -> dt.datetime:
        return jst(base + dt.timedelta(days=rng.randrange(days)), rng.randrange(24),
                   rng.randrange(60), rng.randrange(60))

    pinned = [jst(first, 0, 0, 0), jst(first, 23, 30), jst(last, 23, 59, 59),
              jst(last + dt.timedelta(days=1), 0, 0, 0), jst(first, 0, 0, 0)
              - dt.timedelta(seconds=1)]
    history = History()
    for i in range(n_calls):
        start = pinned[i] if i < len(pinned) else moment()
        kind = rng.choice(KINDS)
        call = {"sid": f"CA{i:032d}", "started_at": start, "outcome": kind, "queue": None,
                "queued_at": None, "answered_at": None, "agent": None,
                "ended_at": start + dt.timedelta(seconds=rng.randrange(20, 600))}
        if kind in ("abandoned_queue", "agent", "voicemail") and (kind != "voicemail"
                                                                  or rng.random() < 0.5):
            call["queue"] = rng.choice(("support", "sales"))
            call["queued_at"] = start + dt.timedelta(seconds=rng.randrange(5, 60))
            wait = dt.timedelta(seconds=rng.randrange(0, 900))
            if kind == "agent":
                call["answered_at"] = call["queued_at"] + wait
                call["agent"] = rng.choice(AGENTS)
                call["ended_at"] = call["answered_at"] + dt.timedelta(seconds=120)
            else:
                call["ended_at"] = call["queued_at"] + wait
        if kind == "transferred":
            call["answered_at"] = start + dt.timedelta(seconds=30)
        history.calls.append(call)
    ids = user_ids or {}
    for i in range(n_tickets):
        created = pinned[i % len(pinned)] if i < len(pinned) else moment()
        ticket = {"created_at": created, "channel": rng.choice(CHANNELS),
                  "first_response_at": None, "solved_at": None,
                  "assignee": rng.choice((*ids, None)) if ids else None}
        if rng.random() < 0.7:
            ticket["first_response_at"] = created + dt.timedelta(seconds=rng.randrange(60, 90000))
            if rng.random() < 0.7:
                ticket["solved_at"] = ticket["first_response_at"] + dt.timedelta(
                    seconds=rng.randrange(0, 200000))
        history.tickets.append(ticket)
    for _ in range(n_interactions):
        history.interactions.append({"at": moment(), "channel": rng.choice(CHANNELS),
                                     "direction": rng.choice(("inbound", "inbound", "outbound"))})
    return history


def store(session, history: History, user_ids: dict[str, int] | None = None) -> None:
    """Insert the history as the system would have recorded it."""
    ids = user_ids or {}
    for c in history.calls:
        session.add(Call(call_sid=c["sid"], from_number="+819011112222", to_number="+81312345678",
                         flow_name="support", flow_revision="r1", state={"step": "x"},
                         status="completed", outcome=c["outcome"], queue=c["queue"],
                         agent=c["agent"], started_at=c["started_at"], queued_at=c["queued_at"],
                         answered_at=c["answered_at"], ended_at=c["ended_at"], events=[]))
    customer = Customer(name="山田花子")
    session.add(customer)
    session.flush()
    tickets = []
    for t in history.tickets:
        ticket = Ticket(customer_id=customer.id, subject="件名", channel=t["channel"],
                        status="solved" if t["solved_at"] else "open",
                        assignee_id=ids.get(t["assignee"]) if t["assignee"] else None,
                        created_at=t["created_at"], updated_at=t["created_at"],
                        first_response_at=t["first_response_at"], solved_at=t["solved_at"])
        session.add(ticket)
        tickets.append(ticket)
    session.flush()
    for i, x in enumerate(history.interactions):
        session.add(Interaction(ticket_id=tickets[i % len(tickets)].id, customer_id=customer.id,
                                channel=x["channel"], direction=x["direction"], at=x["at"],
                                external_id=f"seed-{i}", thread_reason="seed"))


# --- expectations, from the records -----------------------------------------------------------

def bucket_key(moment: dt.datetime, by: str) -> dt.date:
    day = moment.astimezone(TOKYO).date()
    if by == "week":
        return day - dt.timedelta(days=day.isoweekday() - 1)
    if by == "month":
        return dt.date(day.year, day.month, 1)
    return day


def label(key: dt.date, by: str) -> str:
    if by == "month":
        return f"{key.year:04d}-{key.month:02d}"
    if by == "week":
        year, week, _ = key.isocalendar()
        return f"{year}-W{week:02d} ({key})"
    return str(key)


def in_period(moment: dt.datetime | None, first: dt.date, last: dt.date) -> bool:
    return moment is not None and first <= moment.astimezone(TOKYO).date() <= last


def p90(values: list[float]) -> float | None:
    """The smallest value that at least 90 % of the values do not exceed."""
    if not values:
        return None
    return min(v for v in values if 10 * sum(1 for w in values if w <= v) >= 9 * len(values))


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def expected_summary(history: History, first: dt.date, last: dt.date, by: str) -> dict:
    """label -> the summary row's figures (all channels)."""
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    waits: dict[str, list[float]] = defaultdict(list)
    for c in history.calls:
        if not in_period(c["started_at"], first, last):
            continue
        row = rows[label(bucket_key(c["started_at"], by), by)]
        row["calls"] += 1
        row["contacts"] += 1
        row["answered"] += c["answered_at"] is not None
        outcome = c["outcome"]
        row["self_service"] += outcome == "ivr"
        row["abandoned_ivr"] += outcome in ("abandoned_ivr", "missed")
        row["abandoned_queue"] += outcome == "abandoned_queue"
        row["voicemail"] += outcome == "voicemail"
        row["callback"] += outcome == "callback"
        if c["queued_at"] is not None:
            waits[label(bucket_key(c["started_at"], by), by)].append(
                ((c["answered_at"] or c["ended_at"]) - c["queued_at"]).total_seconds())
    for x in history.interactions:
        if x["direction"] == "inbound" and x["channel"] in NON_VOICE \
                and in_period(x["at"], first, last):
            rows[label(bucket_key(x["at"], by), by)]["contacts"] += 1
    result = {}
    for name, row in rows.items():
        result[name] = {**row, "avg_wait": mean(waits[name]), "p90_wait": p90(waits[name])}
    return result


def expected_tickets(history: History, first: dt.date, last: dt.date, by: str,
                     channel: str = "") -> dict:
    out: dict[str, dict] = {}
    for t in history.tickets:
        if not in_period(t["created_at"], first, last) or (channel and t["channel"] != channel):
            continue
        row = out.setdefault(label(bucket_key(t["created_at"], by), by),
                             {"tickets_created": 0, "responses": [], "resolutions": []})
        row["tickets_created"] += 1
        if t["first_response_at"]:
            row["responses"].append((t["first_response_at"] - t["created_at"]).total_seconds())
        if t["solved_at"]:
            row["resolutions"].append((t["solved_at"] - t["created_at"]).total_seconds())
    return out


def expected_agents(history: History, first: dt.date, last: dt.date) -> dict:
    out: dict[str, dict] = defaultdict(lambda: {"calls_handled": 0, "tickets_solved": 0})
    for c in history.calls:
        if c["agent"] and c["answered_at"] and in_period(c["started_at"], first, last):
            out[c["agent"]]["calls_handled"] += 1
    for t in history.tickets:
        if t["assignee"] and in_period(t["solved_at"], first, last):
            out[t["assignee"]]["tickets_solved"] += 1
    return dict(out)
