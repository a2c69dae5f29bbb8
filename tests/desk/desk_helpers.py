"""Helpers shared by the desk tests: the test password, hashers, and browser-form sign-in."""

from __future__ import annotations

import re

from argon2 import PasswordHasher

from core import accounts

PASSWORD = "correct horse battery"
# Captured at import, before any test swaps in FAST_HASHER.
REAL_HASHER = accounts.hasher
# Cheap argon2 parameters keep the suite fast; test_desk_passwords checks the real ones.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def page_csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a page hands its scripts in the csrf-token meta tag."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match, f"no csrf-token meta tag on {path}"
    return match.group(1)


def login(client, username: str = "alice", password: str = PASSWORD, next_: str = ""):
    """Submit the sign-in form as a browser would, token included."""
    token = page_csrf_token(client)
    return client.post("/login", data={"username": username, "password": password,
                                       "next": next_, "csrf_token": token})
