"""The ``iop-server`` CLI, run as real subprocesses (``python -m server``)."""

from __future__ import annotations

import asyncio
import json

import pytest
from tests.support.procs import run_cli, start_server_process
from tests.support.wsclient import RawClient


def _json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_command_has_help():
    for args in ([], ["serve"], ["group"], ["group", "create"], ["invite"], ["revoke"], ["members"]):
        result = run_cli(*args, "--help")
        assert result.returncode == 0, (args, result.stderr)
        assert "usage: iop-server" in result.stdout


def test_group_create_invite_members_revoke(tmp_path):
    data = str(tmp_path)
    created = _json(run_cli("group", "create", "Tuesday IOP", "--facilitator", "Dana", "--data", data, "--json"))
    assert set(created) == {"group_id", "group", "member_id", "name", "role", "token"}
    assert (created["group"], created["name"], created["role"]) == ("Tuesday IOP", "Dana", "facilitator")

    sam = _json(run_cli("invite", "Tuesday IOP", "--name", "Sam", "--data", data, "--json"))
    assert (sam["group_id"], sam["role"]) == (created["group_id"], "participant")
    jo = _json(run_cli("invite", str(created["group_id"]), "--name", "Jo", "--role", "guest", "--data", data, "--json"))
    assert jo["role"] == "guest" and jo["token"] not in (sam["token"], created["token"])

    listed = run_cli("members", "Tuesday IOP", "--data", data)
    assert listed.returncode == 0
    assert [line.split("\t")[1:3] for line in listed.stdout.splitlines()] == [
        ["Dana", "facilitator"], ["Sam", "participant"], ["Jo", "guest"],
    ]
    assert sam["token"] not in listed.stdout

    revoked = run_cli("revoke", "Tuesday IOP", "--name", "Sam", "--data", data)
    assert revoked.returncode == 0 and "Revoked" in revoked.stdout
    members = _json(run_cli("members", str(created["group_id"]), "--data", data, "--json"))
    assert {m["name"]: m["revoked"] for m in members} == {"Dana": False, "Sam": True, "Jo": False}


def test_plain_output_shows_the_token_once(tmp_path):
    result = run_cli("group", "create", "Tuesday IOP", "--facilitator", "Dana", "--data", str(tmp_path))
    assert result.returncode == 0
    assert "Dana (facilitator) can join Tuesday IOP with the token:" in result.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["invite", "Nope", "--name", "Sam"], "no group 'Nope'"),
        (["members", "42"], "no group '42'"),
        (["revoke", "Tuesday IOP", "--name", "Nobody"], "no active member named 'Nobody'"),
        (["group", "create", "Tuesday IOP", "--facilitator", "Lee"], "already exists"),
        (["invite", "Tuesday IOP", "--name", "Dana"], "already has a member named 'Dana'"),
    ],
)
def test_errors_are_one_sentence_with_exit_code_2(tmp_path, args, words):
    assert run_cli("group", "create", "Tuesday IOP", "--facilitator", "Dana", "--data", str(tmp_path)).returncode == 0
    result = run_cli(*args, "--data", str(tmp_path))
    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_choice_is_an_argparse_error():
    result = run_cli("invite", "G", "--name", "Sam", "--role", "admin")
    assert result.returncode == 2 and "invalid choice" in result.stderr


@pytest.mark.parametrize("flag", ["--collect-every", "--reminder-every", "--reminder-lease"])
@pytest.mark.parametrize("value", ["0", "-5", "nan", "soon"])
def test_a_period_that_is_not_a_positive_number_of_seconds_is_refused_before_serving(tmp_path, flag, value):
    # 0 would run a garbage-collection pass or a reminder look on every turn of the loop.
    result = run_cli("serve", "--port", "0", "--data", str(tmp_path), f"{flag}={value}")
    assert result.returncode == 2
    assert f"argument {flag}: expected a number of seconds above 0, got '{value}'" in result.stderr
    assert "listening" not in result.stdout


async def test_serve_prints_its_line_and_logs_joins_without_content(tmp_path):
    dana = _json(run_cli("group", "create", "Tuesday IOP", "--facilitator", "Dana", "--data", str(tmp_path), "--json"))
    with start_server_process(tmp_path) as server:
        assert server.first_line == f"iop-server listening on {server.url}"
        assert server.url.startswith("ws://127.0.0.1:") and server.url.endswith("/")
        async with RawClient(server.url, dana["token"]) as c:
            assert c.welcome["member"]["name"] == "Dana"
            await c.command("chat.send", {"text": "a secret only the log should hold"})
        assert server.stop() == 0
        log = server.stderr_text()
    assert "Dana (facilitator) joined Tuesday IOP" in log
    assert "Dana (facilitator) left Tuesday IOP" in log
    assert "secret" not in log
    assert dana["token"] not in log


def test_serve_on_a_busy_port_says_so(tmp_path):
    with start_server_process(tmp_path / "a") as first:
        port = first.url.rsplit(":", 1)[1].strip("/")
        result = run_cli("serve", "--port", port, "--data", str(tmp_path / "b"))
        assert result.returncode == 2
        assert "Cannot listen" in result.stderr and "Traceback" not in result.stderr
        first.stop()


def test_management_works_while_the_server_runs(tmp_path):
    """Management commands work while a server holds the same data folder."""
    with start_server_process(tmp_path) as server:
        created = _json(run_cli("group", "create", "Tuesday IOP", "--facilitator", "Dana", "--data", str(tmp_path), "--json"))
        sam = _json(run_cli("invite", "Tuesday IOP", "--name", "Sam", "--data", str(tmp_path), "--json"))

        async def join() -> dict:
            async with RawClient(server.url, sam["token"]) as c:
                return c.welcome

        welcome = asyncio.run(join())
        assert welcome["group"] == {"id": created["group_id"], "name": "Tuesday IOP"}
        assert {m["name"] for m in welcome["roster"]} == {"Dana", "Sam"}
        server.stop()


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["group", "list"]])
def test_an_unusable_data_folder_is_one_sentence(tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli(*command, "--data", str(blocker / "data"))
    assert result.returncode == 2
    assert "Cannot open the data" in result.stderr and "Traceback" not in result.stderr
