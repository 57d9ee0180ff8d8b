"""``iop-tui``: the command line -> which face, with which invitation; nothing else.

    iop-tui join URL [--plain] [--theme T] [--verbosity V]   asks for the token
    iop-tui join URL --token-file PATH | --token - [...]       the token from a file or standard input
    iop-tui [--plain] [--theme T]                     rejoin with the saved invitation
    iop-tui demo [--as facilitator|participant] [--plain]
    --low-bandwidth (any form): the full-screen face draws less, for a slow link or an old terminal

``--plain`` is the screen-reader face: one line per event, typed commands.
It never imports textual, so this module imports the Textual app only when
the full-screen face is asked for. Every failure a person can cause or meet
(a wrong address, a refused token, a server that is gone, an old client) is
said in one sentence with exit code 1 (could not join) or 2 (usage); there
is never a traceback.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

from iop_tui.launch import EXIT_OK, EXIT_USAGE, CliError, check_url, run_face

if TYPE_CHECKING:
    import argparse

__all__ = ["main", "build_parser"]

VERBOSITIES = ("quiet", "normal", "all")
HOW_TO_JOIN = "join with: iop-tui join ws://HOST:PORT/ and paste the token when asked (your facilitator gives you both)"
TOKEN_PROMPT = "Join token (from your facilitator; it is not shown as you type): "


def _face_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    import argparse

    default = None if top else argparse.SUPPRESS  # a subcommand's options must not reset the top level's
    parser.add_argument("--plain", action="store_true", default=False if top else argparse.SUPPRESS,
                        help="plain line mode for screen readers: one line per event, commands typed as /help lists")
    parser.add_argument("--theme", default=default, metavar="THEME",
                        help="colour theme of the full-screen face: ansi-dark (default), ansi-light, high-contrast or any Textual theme")
    parser.add_argument("--verbosity", choices=VERBOSITIES, default="normal" if top else argparse.SUPPRESS,
                        help="plain mode only: quiet (chat, phases, polls, your errors), normal, or all (every arrival, hand and acknowledgement)")
    # -- a slow link (issue 17) --
    from iop_tui.core.words import LOW_BANDWIDTH_HELP

    parser.add_argument("--low-bandwidth", action="store_true", default=False if top else argparse.SUPPRESS, help=LOW_BANDWIDTH_HELP)


def build_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="iop-tui",
        description="A terminal room for group therapy sessions. Without a command, rejoins with the invitation saved by 'iop-tui join'.",
        epilog="Plain mode keys: type a line to chat, /help for commands, Control D to leave.",
    )
    _face_options(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    join = commands.add_parser("join", help="join a group with the address and token your facilitator gave you",
                               description="Join a group session and save the invitation so 'iop-tui' alone rejoins.")
    join.add_argument("url", metavar="URL", help="the relay's address, such as ws://example.org:8765/")
    join.add_argument("--token", default=None, metavar="TOKEN",
                      help="'-' reads your join token from standard input; without --token or --token-file you are asked for it."
                           " A token written here is taken out of the command line at once, but stays in your shell history")
    join.add_argument("--token-file", default=None, metavar="PATH", help="read your join token from the first line of this file")
    join.add_argument("--token-fd", type=int, default=None, help=argparse.SUPPRESS)
    _face_options(join)
    demo = commands.add_parser("demo", help="try a live demo session with simulated members, all on this machine",
                               description="Start a relay on this machine, a group with four simulated members and a session on reframing thoughts, and join it. Quitting stops everything the demo started.")
    demo.add_argument("--as", dest="as_role", choices=("facilitator", "participant"), default="facilitator",
                      help="join as the facilitator, Dana (default), or as a participant while a simulated facilitator runs the session")
    _face_options(demo)
    return parser


def _save_when_joined(session: Any, url: str, token: str) -> None:
    """Save the invitation once the server has accepted it (so a typo is never saved)."""
    saved = False

    def save() -> None:
        try:
            from iop_tui.core.config import save_credentials

            save_credentials(url, token)
        except OSError as exc:
            print(f"Could not save the invitation ({exc.strerror}); you will need the token to join next time.", file=sys.stderr)

    def on_notices(_notices: list[Any]) -> None:
        nonlocal saved
        if not saved and session.model.me is not None and session.model.synced:
            saved = True
            asyncio.get_running_loop().call_soon(save)  # after the face has said the first line

    session.subscribe(on_notices)


def _join(url: str, token: str, args: Any, save: bool) -> int:
    from iop_tui.core.session import ClientSession

    url = check_url(url)
    token = token.strip()
    if not token:
        raise CliError("The token is empty; copy the whole token your facilitator sent.", EXIT_USAGE)
    session = ClientSession(url, token)
    if save:
        _save_when_joined(session, url, token)
    return run_face(session, url, plain=args.plain, theme=args.theme, verbosity=args.verbosity)


def _first_line(data: str) -> str:
    for line in data.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _read_fd(fd: int) -> str:
    import os

    chunks = []
    try:
        while True:
            chunk = os.read(fd, 4096)
            if not chunk or sum(map(len, chunks)) > 64 * 1024:
                break
            chunks.append(chunk)
    except OSError as exc:
        raise CliError(f"Could not read the token from file descriptor {fd} ({exc.strerror}); paste it when asked instead.") from None
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
    return b"".join(chunks).decode("utf-8", "replace")


def _token(args: Any, from_command_line: bool) -> str:
    """The join token, from a prompt, a file, standard input or (re-executed) the command line.

    A token written as ``--token TOKEN`` would stay readable by every user of
    the computer (``ps``, ``/proc/PID/cmdline``) for the whole session, so the
    client starts itself again at once without it, handing the token over on
    a pipe (``--token-fd``).
    """
    if args.token_fd is not None:
        return _first_line(_read_fd(args.token_fd))
    if args.token_file is not None:
        from iop_tui.core.plan import PlanError, read_text_file

        try:
            return _first_line(read_text_file(args.token_file, 64 * 1024, "token file"))
        except PlanError as err:
            raise CliError(str(err), EXIT_USAGE) from None
    if args.token == "-":
        return _first_line(sys.stdin.readline())
    if args.token is not None:
        if from_command_line:
            _reexec_without(args.token)
        return args.token
    if not sys.stdin.isatty():
        raise CliError("No token given; run iop-tui join URL in a terminal and paste it when asked, "
                       "or give --token-file PATH, or --token - with the token on standard input.", EXIT_USAGE)
    import getpass

    try:
        return getpass.getpass(TOKEN_PROMPT)
    except EOFError:
        raise CliError("No token given; paste the token your facilitator sent when asked.", EXIT_USAGE) from None


def _reexec_without(token: str) -> None:
    """Start this program again with the token taken out of its command line (POSIX only)."""
    import os

    if os.name != "posix" or not getattr(sys, "orig_argv", None):
        return
    argv = list(sys.orig_argv)
    for i, arg in enumerate(argv):
        if arg == "--token" and i + 1 < len(argv) and argv[i + 1] == token:
            del argv[i : i + 2]
            break
        if arg == f"--token={token}":
            del argv[i]
            break
    else:
        return
    read, write = os.pipe()
    os.write(write, token.encode("utf-8"))
    os.close(write)
    os.set_inheritable(read, True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [*argv, "--token-fd", str(read)])


def _rejoin(args: Any) -> int:
    from iop_tui.core.config import load_credentials

    saved = load_credentials()
    if saved is None:
        raise CliError(f"No saved invitation yet; {HOW_TO_JOIN}.", EXIT_USAGE)
    url, token = saved
    return _join(url, token, args, save=False)


class _Args:
    """Parsed arguments, shaped like argparse's namespace."""

    def __init__(self, command: str | None, **values: Any) -> None:
        self.command = command
        self.plain, self.theme, self.verbosity = False, None, "normal"
        self.low_bandwidth = False
        self.token = self.token_file = self.token_fd = None
        self.__dict__.update(values)


def _quick_parse(argv: list[str]) -> _Args | None:
    """Parse the everyday forms without loading argparse; None means "let argparse do it".

    ``iop-tui [--plain]`` and ``iop-tui join URL --token T [--plain] [--verbosity V]
    [--theme T]`` are how people start the client every week; on a small machine every
    millisecond before the first line counts (bench/plain_start.py). Anything else
    (help, demo, mistakes) goes through argparse, which explains itself.
    """
    rest = list(argv)
    command = None
    values: dict[str, Any] = {}
    if rest[:1] == ["join"]:
        if len(rest) < 2 or rest[1].startswith("-"):
            return None
        command, values["url"], rest = "join", rest[1], rest[2:]
    while rest:
        option = rest.pop(0)
        if option == "--plain":
            values["plain"] = True
        elif option == "--low-bandwidth":
            values["low_bandwidth"] = True
        elif option in ("--token", "--theme", "--verbosity", "--token-file") and rest and not rest[0].startswith("--"):
            values[option[2:].replace("-", "_")] = rest.pop(0)
        elif option == "--token-fd" and rest and rest[0].isdigit():
            values["token_fd"] = int(rest.pop(0))
        else:
            return None
    given = [key for key in ("token", "token_file", "token_fd") if key in values]
    if values.get("verbosity", "normal") not in VERBOSITIES or len(given) > 1 or (command != "join" and given):
        return None
    return _Args(command, **values)


def _quiet_libraries() -> None:
    """Library log records never reach the terminal: a person sees sentences, not tracebacks."""
    import logging  # already loaded by asyncio and websockets

    for name in ("websockets", "asyncio"):
        logger = logging.getLogger(name)
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    """The ``iop-tui`` console script."""
    _quiet_libraries()
    from_command_line = argv is None
    argv = sys.argv[1:] if argv is None else argv
    args = _quick_parse(argv) or build_parser().parse_args(argv)
    if getattr(args, "low_bandwidth", False):
        import os

        from iop_tui.core.terminal import LOW_BANDWIDTH_ENV

        os.environ[LOW_BANDWIDTH_ENV] = "1"  # read where the full-screen face starts (iop_tui.launch), the demo's too
    try:
        if args.command == "demo":
            from iop_tui.demo.runner import run_demo

            return run_demo(as_role=args.as_role, plain=args.plain, theme=args.theme, verbosity=args.verbosity)
        if args.command == "join":
            return _join(args.url, _token(args, from_command_line=from_command_line), args, save=True)
        return _rejoin(args)
    except CliError as err:
        print(f"iop-tui: {err}", file=sys.stderr)
        return err.code
    except KeyboardInterrupt:
        return EXIT_OK
