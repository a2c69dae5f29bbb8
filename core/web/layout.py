"""The page header's links, contributed by each feature that has pages (its web `install`)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from core.web.security import current_user


@dataclass(frozen=True)
class NavLink:
    """A link in the header: its text's key, its endpoint, and who sees it."""

    text: str
    endpoint: str
    role: str = "agent"


def add_nav(app: Flask, *links: NavLink) -> None:
    app.extensions.setdefault("nav", []).extend(links)


def nav_links() -> list[NavLink]:
    """The links the signed-in user may follow, in the order the features added them."""
    user = current_user()
    if user is None:
        return []
    return [link for link in current_app.extensions.get("nav", []) if user.has_role(link.role)]
