"""Agent accounts: the User model and the services that create, sign in and update users.

Every web edge needs to know who signs in and every feature who serves which queue, so the
accounts are part of the platform. Changes that matter to others (presence, a new or disabled
account) are announced as events. No Flask here: the CLI and workers use these services too.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, CheckConstraint, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session

from core.agent_states import STATES, set_presence  # noqa: F401 -- set_presence: used by callers via accounts
from core.db import Base, JSONType, UTCDateTime, utcnow
from core.errors import DuplicateUser, InvalidValue, UnknownUser
from core.events import Event, emit

log = logging.getLogger("core.accounts")

# Each role can do everything the roles before it can.
ROLES = ("agent", "supervisor", "admin")
LANGUAGES = ("ja", "en")
PRESENCES = STATES  # an agent's presence is their state (core.agent_states)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 would accept more; a cap keeps a login POST cheap
MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
DEFAULT_MAX_OPEN_TICKETS = 10

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.@-]{0,63}")
# How a call is offered: a Twilio Client identity, a SIP URI or an E.164 number.
DIAL = re.compile(r"client:[A-Za-z0-9_]{1,121}|sip:[^\s@]+@[^\s@]+|\+[1-9][0-9]{6,14}")
QUEUE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

# The library's defaults (RFC 9106 low-memory profile); changing them rehashes on next sign-in.
hasher = PasswordHasher()


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class User(Base):
    """A person who signs in to the desk: an agent, supervisor or admin."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint(_in("language", LANGUAGES), name="language"),
        CheckConstraint(_in("presence", PRESENCES), name="presence"),
        CheckConstraint("username = lower(username)", name="username_lower"),
        CheckConstraint("max_open_tickets >= 0", name="max_open_tickets"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    language: Mapped[str] = mapped_column(String(2), default="ja")
    queues: Mapped[list[str]] = mapped_column(JSONType, default=list)
    presence: Mapped[str] = mapped_column(String(16), default="offline")   # the agent state
    presence_reason: Mapped[str | None] = mapped_column(String(40))        # why on a break
    presence_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    wrap_up_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # after-call work
    dial: Mapped[str | None] = mapped_column(String(200))
    max_open_tickets: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_OPEN_TICKETS)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When round-robin last gave this user a ticket: ties in load go to the longest waiting.
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def has_role(self, role: str) -> bool:
        """True when this user's role is `role` or above it (admin > supervisor > agent)."""
        return ROLES.index(self.role) >= ROLES.index(check_choice("role", role, ROLES))

    def is_locked(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def __repr__(self) -> str:
        return f"<User {self.username!r} {self.role}>"


# --- events ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class AccountChanged(Event):
    """An account was added, changed how it takes work, or was disabled."""

    username: str
    change: str                 # created | updated | disabled


def _announce(user: User, item: Event) -> None:
    session = object_session(user)
    if session is not None:
        emit(session, item)


# --- validation -------------------------------------------------------------------------------

def normalize_username(username: str) -> str:
    """Usernames compare case-insensitively, so they are stored lower-cased."""
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise InvalidValue(
            f"Username {username!r} is not allowed; use 1-64 letters, digits, '.', '_', '-' "
            "or '@', starting with a letter or digit.")
    return name


def check_choice(field: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidValue(f"{field.capitalize()} {value!r} is not one of {', '.join(choices)}.")
    return value


def check_password(password: str) -> str:
    """Refuse short passwords; the message gives the length, never the password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(f"Passwords must be at least {MIN_PASSWORD_LENGTH} characters long; "
                           f"the one given has {len(password)}.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidValue(f"Passwords may be at most {MAX_PASSWORD_LENGTH} characters long; "
                           f"the one given has {len(password)}.")
    return password


def check_dial(dial: str | None) -> str | None:
    if dial is None or not dial.strip():
        return None
    if not DIAL.fullmatch(dial.strip()):
        raise InvalidValue(f"Dial target {dial!r} is not client:NAME, sip:USER@HOST or an E.164 "
                           "number such as +81312345678.")
    return dial.strip()


def check_queues(queues: Iterable[str]) -> list[str]:
    result: list[str] = []
    for queue in queues:
        name = queue.strip().lower()
        if not QUEUE.fullmatch(name):
            raise InvalidValue(f"Queue name {queue!r} is not allowed; use lower-case letters, "
                               "digits, '_' or '-'.")
        if name not in result:
            result.append(name)
    return result


def check_max_open(value: int) -> int:
    if value < 0:
        raise InvalidValue(f"The open ticket cap must be zero or more, not {value}.")
    return value


# --- passwords --------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    return hasher.hash(check_password(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; a malformed stored hash simply does not match."""
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown usernames, so they cost as much time as known ones."""
    return hasher.hash("no such user; this hash only spends time")


# --- services ---------------------------------------------------------------------------------

def find_user(session: Session, username: str) -> User | None:
    name = username.strip().lower()
    return session.scalars(select(User).where(User.username == name)).one_or_none()


def get_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise UnknownUser(f"There is no user named {username!r}.")
    return user


def new_username(session: Session, username: str) -> str:
    """The normalized username, provided no one has it yet."""
    name = normalize_username(username)
    if find_user(session, name) is not None:
        raise DuplicateUser(f"A user named {name!r} already exists.")
    return name


def create_user(session: Session, username: str, password: str, *, role: str = "agent",
                display_name: str | None = None, email: str | None = None,
                language: str = "ja", queues: Iterable[str] = (), dial: str | None = None,
                max_open_tickets: int = DEFAULT_MAX_OPEN_TICKETS,
                now: dt.datetime | None = None) -> User:
    """Add a user, validating every field; the caller's session commits."""
    name = new_username(session, username)
    now = now or utcnow()
    user = User(
        username=name,
        display_name=(display_name or "").strip() or name,
        email=(email or "").strip() or None,
        role=check_choice("role", role, ROLES),
        language=check_choice("language", language, LANGUAGES),
        queues=check_queues(queues),
        presence="offline",
        presence_changed_at=now,
        dial=check_dial(dial),
        max_open_tickets=check_max_open(max_open_tickets),
        active=True,
        failed_logins=0,
        password_hash=hash_password(password),
        created_at=now,
    )
    session.add(user)
    session.flush()
    emit(session, AccountChanged(user.username, "created"))
    return user


def authenticate(session: Session, username: str, password: str,
                 now: dt.datetime | None = None) -> User | None:
    """The user when the password is right and the account usable, else None.

    Unknown usernames, wrong passwords, locked and disabled accounts all give None after the
    same argon2 work, so a caller cannot tell them apart. The failure count and lock are
    written to `session`; the caller must commit even when None comes back.
    """
    now = now or utcnow()
    user = find_user(session, username)
    if user is None:
        verify_password(_dummy_hash(), password)
        log.info("login refused", extra={"username": username[:64], "reason": "unknown"})
        return None
    if user.locked_until is not None and user.locked_until <= now:
        user.locked_until, user.failed_logins = None, 0
    matches = verify_password(user.password_hash, password)
    refusal = _refusal(user, matches, now)
    if refusal:
        log.info("login refused", extra={"username": user.username, "reason": refusal})
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.failed_logins, user.last_login_at = 0, now
    return user


def _refusal(user: User, matches: bool, now: dt.datetime) -> str | None:
    """Why a sign-in is refused (counting a wrong password), or None when it may proceed."""
    if user.is_locked(now):
        return "locked"
    if not user.active:
        return "disabled"
    if matches:
        return None
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = now + LOCKOUT
        return "locked now"
    return "password"


def set_password(user: User, password: str) -> None:
    """Replace the password; this also lifts a lock-out and ends the user's other sessions."""
    user.password_hash = hash_password(password)
    unlock(user)


def unlock(user: User) -> None:
    user.failed_logins, user.locked_until = 0, None


def disable(user: User, now: dt.datetime | None = None) -> None:
    """Refuse further sign-ins and take the user out of call routing."""
    user.active = False
    set_presence(user, "offline", now)
    _announce(user, AccountChanged(user.username, "disabled"))


def update_agent(user: User, *, role: str | None = None, queues: Iterable[str] | None = None,
                 dial: str | None = None, max_open_tickets: int | None = None) -> list[str]:
    """Change how an account takes work (role, queues, dial target, open-ticket cap); returns
    the names of the fields that changed, announced as one AccountChanged."""
    given: dict = {}
    if role is not None:
        given["role"] = check_choice("role", role, ROLES)
    if queues is not None:
        given["queues"] = check_queues(queues)
    if dial is not None:
        given["dial"] = check_dial(dial)          # "" clears it
    if max_open_tickets is not None:
        given["max_open_tickets"] = check_max_open(max_open_tickets)
    changed = [name for name, value in given.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, given[name])
    if changed:
        _announce(user, AccountChanged(user.username, "updated"))
    return changed


def set_language(user: User, language: str) -> None:
    user.language = check_choice("language", language, LANGUAGES)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def list_agents(session: Session, queue: str | None = None,
                presence: str | None = None) -> list[User]:
    """Active users who take work (every role does), optionally serving `queue` / in `presence`.

    Queue membership is filtered in Python: JSON containment differs between backends and the
    number of agents is small.
    """
    query = select(User).where(User.active.is_(True)).order_by(User.username)
    if presence is not None:
        query = query.where(User.presence == check_choice("presence", presence, STATES))
    users = session.scalars(query)
    if queue is None:
        return list(users)
    name = queue.strip().lower()
    return [user for user in users if name in (user.queues or [])]
