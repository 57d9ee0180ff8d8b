"""The join token never stays in the client's command line (issue 9 item 13).

Any user of the computer can read a running program's command line (``ps``,
``/proc/PID/cmdline``). The token is asked for (not echoed), read from a file
(``--token-file``) or from standard input (``--token -``); a token still
written as ``--token TOKEN`` is taken out at once: the client starts itself
again without it. Real relay, the real client on a pty, its /proc entry read.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.plainpty import PtyProgram, client_env

JOINED = "Joined Tuesday IOP as Sam, participant."


def _argv(url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "iop_tui", "join", url, "--plain", *extra]


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


async def _joined_without_token_in_argv(program: PtyProgram, token: str) -> None:
    await program.wait_for(JOINED)
    assert token not in _cmdline(program.proc.pid)
    program.type("/quit")
    assert await program.wait_exit() == 0


async def test_a_token_on_the_command_line_is_gone_from_the_running_clients_cmdline(seeded, tmp_path):
    token = seeded.participants[0].token
    with PtyProgram(_argv(seeded.url, "--token", token), client_env(tmp_path / "config")) as sam:
        await _joined_without_token_in_argv(sam, token)


async def test_the_client_asks_for_the_token_without_showing_it(seeded, tmp_path):
    token = seeded.participants[0].token
    with PtyProgram(_argv(seeded.url), client_env(tmp_path / "config")) as sam:
        await sam.wait_for("Join token (from your facilitator; it is not shown as you type):")
        sam.type(token)
        await sam.wait_for(JOINED)
        assert token not in sam.text, "the prompt does not echo the token"
        await _joined_without_token_in_argv(sam, token)


async def test_the_token_comes_from_a_file(seeded, tmp_path):
    token = seeded.participants[0].token
    path = tmp_path / "token.txt"
    path.write_text(f"\n{token}\n", encoding="utf-8")
    with PtyProgram(_argv(seeded.url, "--token-file", str(path)), client_env(tmp_path / "config")) as sam:
        await _joined_without_token_in_argv(sam, token)


async def test_the_token_comes_from_standard_input_before_the_commands(seeded, tmp_path):
    token = seeded.participants[0].token
    with PtyProgram(_argv(seeded.url, "--token", "-"), client_env(tmp_path / "config"), stdin_pipe=True) as sam:
        sam.type(token)
        await _joined_without_token_in_argv(sam, token)


async def test_no_token_and_no_terminal_is_one_sentence(seeded, tmp_path):
    with PtyProgram(_argv(seeded.url), client_env(tmp_path / "config"), stdin_pipe=True) as sam:
        sam.eof()
        assert await sam.wait_exit() == 2
        assert "No token given; run iop-tui join URL in a terminal and paste it when asked" in sam.flat
