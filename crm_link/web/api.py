"""JSON API of the customer record under /api (bearer token); the only crm_link module using Flask.

Raw email may be up to EMAIL_MAX_BYTES while the app-wide MAX_CONTENT_LENGTH stays 2 MB: the
inbound view sets `request.max_content_length` (per-request limit, Flask >= 3.1) before it
reads the body, so only that route accepts large bodies.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request, send_file, stream_with_context
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from core.web import runtime
from core.web.auth import require_bearer
from core.web.errors import error_answer
from crm_link import customers, inbound, merges, payloads, reports, tickets
from crm_link.attachments import AttachmentStore
from crm_link.contacts import file_contact
from crm_link.errors import (
    InvalidInput,
    MalformedEmail,
)
from crm_link.identities import identity_key
from crm_link.mail import parse_email
from crm_link.openapi import document
from crm_link.phones import parse_phone

EMAIL_MAX_BYTES = 25 * 1024 * 1024
bp = require_bearer(Blueprint("crm_link", __name__, url_prefix="/api"),
                    public={"crm_link.openapi"})  # the OpenAPI document is public


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    limit = request.max_content_length
    return _error(f"The request body is larger than {limit} bytes.", 413, None)


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.post("/customers")
def create_customer():
    data = payloads.customer_body(_json_body())

    def create(session):
        customer = customers.create_customer(session, region=_region(), **data)
        return customers.customer_view(customer).to_dict()

    return jsonify(_retrying(create)), 201


@bp.get("/customers/lookup")
def lookup_customer():
    given = {k: request.args[k] for k in ("phone", "email", "member_id") if k in request.args}
    if not given:
        raise InvalidInput("Give phone, email or member_id to look up.", field="phone")
    for kind, raw in given.items():
        caller = parse_phone(raw, _region()).kind if kind == "phone" else None
        if caller in ("anonymous", "client", "sip"):
            return _error(f"{raw!r} is a {caller} caller ID, which never matches a customer.",
                          404, "phone", phone_kind=caller)
        identity_key(kind, raw, _region(), field=kind)
    with _session() as session:
        match = customers.lookup(session, region=_region(), **given)
        if match is None:
            return _error(f"No customer has {_describe(given)}.", 404, next(iter(given)))
        return jsonify(match.to_dict())


@bp.get("/customers/<int:customer_id>")
def get_customer(customer_id: int):
    with _session() as session:
        data = customers.customer_view(customers.get_customer(session, customer_id)).to_dict()
        data["open_tickets"] = [t.to_dict() for t in tickets.open_tickets(session, customer_id)]
        return jsonify(data)


@bp.get("/customers/<int:customer_id>/timeline")
def customer_timeline(customer_id: int):
    limit = payloads.int_arg(request.args, "limit", 50, maximum=tickets.MAX_PAGE)
    before = payloads.int_arg(request.args, "before")
    with _session() as session:
        page = tickets.timeline(session, customer_id, limit, before)
        return jsonify(customer_id=customer_id, next_before=page.next_before,
                       interactions=[e.to_dict() for e in page.entries])


@bp.post("/customers/<int:customer_id>/merge")
def merge_customer(customer_id: int):
    other_id = payloads.merge_body(_json_body())
    with _session() as session:
        return jsonify(merges.merge_customers(session, customer_id, other_id).to_dict()), 201


@bp.get("/merges/<int:merge_id>")
def get_merge(merge_id: int):
    with _session() as session:
        return jsonify(merges.get_merge(session, merge_id).to_dict())


@bp.post("/merges/<int:merge_id>/undo")
def undo_merge(merge_id: int):
    with _session() as session:
        return jsonify(merges.undo_merge(session, merge_id).to_dict())


@bp.post("/messages")
def post_message():
    contact = payloads.message_body(_json_body())
    result = file_contact(runtime().db, contact, region=_region(), window_days=_window())
    return jsonify(result.to_dict()), 200 if result.duplicate else 201


@bp.post("/email/inbound")
def inbound_email():
    request.max_content_length = EMAIL_MAX_BYTES
    if request.mimetype != "message/rfc822":
        return _error(f"Send the raw message with Content-Type: message/rfc822, not "
                      f"{request.mimetype or 'none'!r}.", 415, "Content-Type")
    raw = request.get_data(cache=False)
    try:
        parsed = parse_email(raw)
    except MalformedEmail as exc:
        with _session() as session:
            rejected = inbound.keep_rejected(session, raw, str(exc))
        return _error(f"{exc} It was kept as rejected message #{rejected}.", 422, "body",
                      rejected_id=rejected)
    store = AttachmentStore(runtime().settings.data_dir / "attachments")
    result = _retrying(lambda session: inbound.file_email(
        session, parsed, region=_region(), window_days=_window(), store=store))
    return jsonify(result.to_dict()), 200 if result.duplicate else 201


@bp.get("/tickets")
def list_tickets():
    filters = payloads.ticket_filter(request.args)
    limit = payloads.int_arg(request.args, "limit", 50, maximum=tickets.MAX_PAGE)
    before = payloads.int_arg(request.args, "before")
    with _session() as session:
        rows, next_before = tickets.list_tickets(session, filters, limit=limit, before=before)
        return jsonify(tickets=[t.to_dict() for t in rows], next_before=next_before)


@bp.get("/tickets.csv")
def tickets_csv():
    filters = payloads.ticket_filter(request.args)
    db = runtime().db

    def generate():
        with db.session() as session:
            for chunk in reports.tickets_csv(session, filters):
                yield chunk.encode("utf-8")

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Type": "text/csv; charset=utf-8",
                             "Content-Disposition": 'attachment; filename="tickets.csv"'})


@bp.patch("/tickets/<int:ticket_id>")
def patch_ticket(ticket_id: int):
    changes = payloads.ticket_patch_body(_json_body())
    with _session() as session:
        return jsonify(tickets.update_ticket(session, ticket_id, **changes).to_dict())


@bp.get("/stats")
def get_stats():
    zone = payloads.zone_arg(request.args)
    with _session() as session:
        return jsonify(reports.stats(
            session, since=payloads.time_arg(request.args, "since", zone),
            until=payloads.time_arg(request.args, "until", zone, end=True),
            by=request.args.get("by", "day"), zone=zone))


@bp.get("/duplicates")
def list_duplicates():
    status = request.args.get("status", "open")
    if status not in ("open", "resolved", "dismissed", "all"):
        raise InvalidInput(f"status must be open, resolved, dismissed or all, not {status!r}.",
                           field="status")
    with _session() as session:
        flags = customers.list_duplicate_flags(session, status=None if status == "all"
                                               else status)
        return jsonify(flags=flags)


@bp.post("/duplicates/<int:flag_id>/dismiss")
def dismiss_duplicate(flag_id: int):
    with _session() as session:
        return jsonify(customers.dismiss_flag(session, flag_id))


@bp.get("/attachments/<key>")
def get_attachment(key: str):
    path = AttachmentStore(runtime().settings.data_dir / "attachments").path_for(key)
    return send_file(path.resolve(), mimetype="application/octet-stream", as_attachment=True,
                     download_name=key)


def _json_body():
    """The parsed JSON body; malformed JSON or another content type is a 400 naming it."""
    if not request.is_json:
        raise InvalidInput(f"Send JSON with Content-Type: application/json, not "
                           f"{request.mimetype or 'none'!r}.", field=None)
    try:
        body = json.loads(request.get_data(cache=False) or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"The body is not valid JSON ({exc}).", field=None) from None
    payloads.refuse_nul(body)
    return body


def _error(message: str, status: int, field: str | None, **extra):
    return error_answer(message, status, json=True, field=field, **extra)


def _session():
    return runtime().db.session()


def _retrying(work):
    """Run work(session) in a transaction; after a unique-key race with a concurrent request,
    once more in a fresh one, which sees the winner's row (a duplicate or an IdentityConflict)."""
    try:
        with _session() as session:
            return work(session)
    except IntegrityError:
        with _session() as session:
            return work(session)


def _region() -> str:
    return runtime().settings.default_region


def _window() -> int:
    return runtime().settings.crm.thread_window_days


def _describe(given: dict) -> str:
    return " or ".join(f"{k} {v!r}" for k, v in given.items())


def install(app, _runtime) -> None:
    """Mount the JSON API (called by the app factory)."""
    app.register_blueprint(bp)
