"""Browser-session security: sign-in sessions, CSRF tokens, access decorators and page headers.

Only blueprints that opt in (`protect_pages(bp)` or `csrf.protect(bp)`) get CSRF checks, so the
Twilio webhooks (/twilio/*, signed by Twilio) and the bearer-token API (/api/*) are excluded by
construction: they never read the session cookie, so a forged cross-site request gains nothing.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import redis as redis_lib
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)

from core.accounts import ROLES, User
from core.errors import InvalidValue
from core.web import runtime

log = logging.getLogger("core.web.security")

IDLE_TIMEOUT_SECONDS = 8 * 60 * 60  # a session unused this long must sign in again
MAX_SESSION_SECONDS = 24 * 60 * 60  # and every session signs in again after a day, however busy
REVOKED = "desk:revoked:{nonce}"   # Redis key: a signed-out session's cookie, refused if replayed
SEEN_RESOLUTION_SECONDS = 60  # refresh the idle clock at most this often (fewer Set-Cookies)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

# Keys this module keeps in Flask's signed session cookie.
USER_ID, NONCE, FINGERPRINT, SEEN, CSRF_KEY = "uid", "login_nonce", "pw_fp", "seen", "csrf"
STARTED = "started"

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    # the softphone (Twilio's Voice SDK): signalling and call-quality events, and its ringtones
    "connect-src 'self' wss://*.twilio.com https://*.twilio.com",
    "media-src 'self' https://sdk.twilio.com", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
))
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


# --- sessions ---------------------------------------------------------------------------------

def password_fingerprint(user: User) -> str:
    """A keyed digest of the password hash: it changes with the password, and reveals nothing."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def start_session(user: User) -> None:
    """Begin a signed-in session on a fresh cookie, so nothing from before sign-in carries over."""
    session.clear()
    session[USER_ID] = user.id
    session[NONCE] = secrets.token_urlsafe(16)
    session[FINGERPRINT] = password_fingerprint(user)
    session[SEEN] = session[STARTED] = int(time.time())
    g.desk_user = user


def end_session() -> None:
    """Sign out; a copy of this cookie (another tab, a stolen one) is refused from now on."""
    nonce = session.get(NONCE)
    client = runtime().redis
    if nonce and client is not None:
        try:
            client.set(REVOKED.format(nonce=nonce), 1, ex=MAX_SESSION_SECONDS)
        except redis_lib.RedisError as exc:
            log.warning("sign-out not recorded in Redis; copies of the cookie stay valid until "
                        "they expire", extra={"error": str(exc)})
    session.clear()
    g.desk_user = None


def _revoked(nonce: str | None) -> bool:
    """Was this session signed out? Without Redis we cannot tell, and say so in the log."""
    client = runtime().redis
    if not nonce or client is None:
        return False
    try:
        return bool(client.exists(REVOKED.format(nonce=nonce)))
    except redis_lib.RedisError as exc:
        log.warning("sign-out list unavailable", extra={"error": str(exc)})
        return False


def current_user() -> User | None:
    """The signed-in user of this request (detached, read-only), or None."""
    if "desk_user" not in g:
        g.desk_user = _load_user()
    return g.desk_user


def _load_user() -> User | None:
    """The session's user, provided the session is fresh, the account active, the password same."""
    user_id = session.get(USER_ID)
    if user_id is None:
        return None
    now = int(time.time())
    if (now - session.get(SEEN, 0) > IDLE_TIMEOUT_SECONDS
            or now - session.get(STARTED, 0) > MAX_SESSION_SECONDS
            or _revoked(session.get(NONCE))):
        session.clear()
        return None
    with runtime().db.session() as db:
        user = db.get(User, user_id)
    if user is None or not user.active or not hmac.compare_digest(
            session.get(FINGERPRINT, ""), password_fingerprint(user)):
        session.clear()
        return None
    if now - session[SEEN] >= SEEN_RESOLUTION_SECONDS:
        session[SEEN] = now
    return user


# --- access decorators ------------------------------------------------------------------------

def wants_json() -> bool:
    """True for our own scripts' requests, which should get JSON errors rather than pages."""
    return (request.is_json or request.headers.get("X-Requested-With") == "XMLHttpRequest"
            or request.accept_mimetypes.best_match(["text/html", "application/json"])
            == "application/json")


def login_required(view: Callable) -> Callable:
    """Pages redirect anonymous visitors to /login (and back); scripts get 401 JSON."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_user() is None:
            if wants_json():
                return jsonify(error="Sign-in required."), 401
            login = current_app.config.get("LOGIN_VIEW")  # the sign-in page a feature offers
            if login is None:
                return Response("Sign-in required.", status=401, mimetype="text/plain")
            return redirect(url_for(login, next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def role_required(role: str) -> Callable[[Callable], Callable]:
    """Like login_required, and refuse (403) users below `role`; higher roles pass."""
    if role not in ROLES:
        raise InvalidValue(f"Role {role!r} is not one of {', '.join(ROLES)}.")

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def check(*args, **kwargs):
            user = current_user()
            if not user.has_role(role):
                if wants_json():
                    return jsonify(error=f"This needs the {role} role."), 403
                abort(403)
            return view(*args, **kwargs)

        return login_required(check)

    return decorate


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`: no open redirects."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


# --- CSRF -------------------------------------------------------------------------------------

class CSRF:
    """Synchronizer tokens: one random token per session, required on every unsafe request."""

    def token(self) -> str:
        """This session's token, created on first use (template global `csrf_token()`)."""
        if CSRF_KEY not in session:
            session[CSRF_KEY] = secrets.token_urlsafe(32)
        return session[CSRF_KEY]

    def protect(self, bp: Blueprint) -> Blueprint:
        """Check the token on POST/PUT/PATCH/DELETE to any route of `bp`."""
        bp.before_request(self.check)
        return bp

    def check(self) -> Response | None:
        """Refuse an unsafe request whose form field or X-CSRF-Token header lacks the token."""
        if request.method not in UNSAFE_METHODS:
            return None
        expected = session.get(CSRF_KEY)
        given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
        if expected and hmac.compare_digest(given.encode(), expected.encode()):
            return None
        message = ("The form has expired or did not come from this site (missing or wrong "
                   "CSRF token); reload the page and try again.")
        if wants_json():
            return jsonify(error=message), 400
        return Response(message, status=400, mimetype="text/plain")


csrf = CSRF()


def page_headers(response: Response) -> Response:
    """Headers that keep desk pages out of frames and off other sites' scripts and caches."""
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def protect_pages(bp: Blueprint) -> Blueprint:
    """Opt a browser-page blueprint in to CSRF checks and the security headers."""
    csrf.protect(bp)
    bp.after_request(page_headers)
    return bp
