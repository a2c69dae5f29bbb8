"""The agent desk's entry page: a placeholder until the real desk replaces it."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template

from desk.security import login_required, protect_pages

bp = protect_pages(Blueprint("desk", __name__))


@bp.get("/")
def index():
    """The site's root is the desk; sign-in happens on the way if needed."""
    return redirect("/desk")


@bp.get("/desk")
@login_required
def home():
    return render_template("desk/home.html")
