"""`ivr users` through click's runner, against the test database named by DATABASE_URL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from core import accounts
from core.cli import cli
from tests.desk.desk_helpers import PASSWORD


@pytest.fixture
def ivr(db, database_url, tmp_path):
    """Run `ivr ...` with the environment a deployment would give it."""
    runner = CliRunner(env={"DATABASE_URL": database_url, "IVR_ENV": "test",
                            "IVR_DATA_DIR": str(tmp_path / "data")})

    def run(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return run


def test_add_with_every_option_and_list(ivr, reload_user):
    result = ivr("users", "add", "Alice", "--role", "supervisor", "--name", "Alice Agent",
                 "--email", "alice@example.com", "--language", "en", "--queue", "support",
                 "--queue", "sales", "--dial", "client:alice", "--max-open", "4",
                 "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert result.output == "created supervisor 'alice'\n"
    user = reload_user("alice")
    assert (user.role, user.display_name, user.email, user.language) == (
        "supervisor", "Alice Agent", "alice@example.com", "en")
    assert (user.queues, user.dial, user.max_open_tickets) == (["support", "sales"],
                                                               "client:alice", 4)
    assert accounts.verify_password(user.password_hash, PASSWORD)

    listing = ivr("users", "list").output.splitlines()
    assert listing[0].split() == ["username", "role", "name", "lang", "presence", "queues",
                                  "dial", "state"]
    assert listing[1].split() == ["alice", "supervisor", "Alice", "Agent", "en", "offline",
                                  "support,sales", "client:alice", "active"]


def test_add_prompts_twice_for_a_hidden_password(ivr, reload_user):
    result = ivr("users", "add", "bob", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "Repeat for confirmation" in result.output
    assert accounts.verify_password(reload_user("bob").password_hash, PASSWORD)


def test_password_is_not_an_argument(ivr):
    result = ivr("users", "add", "bob", "--password", PASSWORD)
    assert result.exit_code == 2
    assert "No such option '--password'" in result.output


@pytest.mark.parametrize("name", ["alice", "ALICE"])
def test_duplicate_username_is_refused_before_asking_for_a_password(ivr, make_user, name):
    make_user("alice")
    result = ivr("users", "add", name)  # no input: a password prompt would abort instead
    assert result.exit_code == 1
    assert result.output == "Error: A user named 'alice' already exists.\n"


def test_short_password_is_refused(ivr, db):
    result = ivr("users", "add", "bob", "--password-stdin", input="short\n")
    assert result.exit_code == 1
    assert "at least 10 characters long; the one given has 5." in result.output
    with db.session() as session:
        assert accounts.find_user(session, "bob") is None


def test_set_password_from_stdin(ivr, make_user, reload_user):
    make_user("alice")
    result = ivr("users", "set-password", "Alice", "--password-stdin",
                 input="a brand new secret\n")
    assert result.exit_code == 0, result.output
    stored = reload_user("alice").password_hash
    assert accounts.verify_password(stored, "a brand new secret")
    assert not accounts.verify_password(stored, PASSWORD)


@pytest.mark.parametrize("args", [("set-password", "ghost", "--password-stdin"),
                                  ("unlock", "ghost"), ("disable", "ghost")])
def test_unknown_user_is_named(ivr, args):
    result = ivr("users", *args, input=PASSWORD + "\n")
    assert result.exit_code == 1
    assert result.output == "Error: There is no user named 'ghost'.\n"


def test_unlock_and_disable(ivr, db, make_user, reload_user):
    make_user("alice")
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with db.session() as session:
            accounts.authenticate(session, "alice", "wrong password!")
    assert "locked until" in ivr("users", "list").output
    assert ivr("users", "unlock", "alice").output == "'alice' unlocked\n"
    assert reload_user("alice").locked_until is None
    assert ivr("users", "disable", "alice").exit_code == 0
    assert reload_user("alice").active is False
    assert ivr("users", "list").output.splitlines()[1].endswith("disabled")


def test_list_with_no_users(ivr):
    assert ivr("users", "list").output == "(no users)\n"


@pytest.mark.parametrize("args, said, check", [
    (["--queue", "billing", "--queue", "Support"], "queues changed",
     lambda u: u.queues == ["billing", "support"]),
    (["--no-queues"], "queues changed", lambda u: u.queues == []),
    (["--max-open", "2", "--role", "supervisor"], "role, max_open_tickets changed",
     lambda u: (u.max_open_tickets, u.role) == (2, "supervisor")),
    (["--dial", "+81312345678"], "dial changed", lambda u: u.dial == "+81312345678"),
    (["--dial", ""], "dial changed", lambda u: u.dial is None),
    (["--max-open", "10"], "nothing to change", lambda u: u.max_open_tickets == 10),
])
def test_set_changes_how_a_user_takes_work(ivr, make_user, reload_user, args, said, check):
    make_user("alice", queues=["support"], dial="client:alice")
    result = ivr("users", "set", "alice", *args)
    assert result.exit_code == 0, result.output
    assert result.output == f"'alice': {said}\n"
    assert check(reload_user("alice"))


@pytest.mark.parametrize("args, message", [
    (["--max-open", "-1"], "zero or more"),
    (["--dial", "0312345678"], "is not client:NAME"),
    (["--queue", "Bad Queue"], "is not allowed"),
])
def test_set_refuses_bad_values_and_changes_nothing(ivr, make_user, reload_user, args, message):
    make_user("alice", queues=["support"])
    result = ivr("users", "set", "alice", *args)
    assert result.exit_code == 1 and message in result.output
    assert reload_user("alice").queues == ["support"]
