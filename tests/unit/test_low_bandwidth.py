"""--low-bandwidth and the hint to use it: the rule (iop_tui.core.terminal) and the switch (issue 17)."""

from __future__ import annotations

from iop_tui.cli import _quick_parse, build_parser
from iop_tui.core import words
from iop_tui.core.terminal import LOW_BANDWIDTH_ENV, SLOW_CONNECT_S, low_bandwidth, slow_link_reason


def test_the_switch_is_read_from_the_environment_the_command_line_sets() -> None:
    assert low_bandwidth({LOW_BANDWIDTH_ENV: "1"})
    assert not low_bandwidth({LOW_BANDWIDTH_ENV: "0"}) and not low_bandwidth({})


def test_a_vt100_or_the_linux_console_gets_the_hint_and_a_modern_terminal_does_not() -> None:
    for term in ("vt100", "vt220", "linux", "VT102"):
        assert slow_link_reason({"TERM": term}) == f"TERM is {term.lower()}", term
    for term in ("xterm-256color", "tmux-256color", "screen", "xterm", "", "vt100-256color"):
        assert slow_link_reason({"TERM": term}) is None, term


def test_a_relay_slow_to_answer_gets_the_hint_and_no_hint_once_the_switch_is_on() -> None:
    assert slow_link_reason({"TERM": "xterm"}, connect_s=SLOW_CONNECT_S + 0.5) == "the relay took 0.9 s to answer"
    assert slow_link_reason({"TERM": "xterm"}, connect_s=0.01) is None
    assert slow_link_reason({"TERM": "vt100", LOW_BANDWIDTH_ENV: "1"}, connect_s=5) is None


def test_the_hint_is_one_line_naming_the_switch() -> None:
    hint = words.low_bandwidth_hint("TERM is vt100")
    assert "\n" not in hint and "--low-bandwidth" in hint and "TERM is vt100" in hint


def test_both_parsers_take_the_switch_for_join_rejoin_and_the_demo() -> None:
    quick = _quick_parse(["join", "ws://h:1/", "--token-file", "t", "--low-bandwidth"])
    assert quick is not None and quick.low_bandwidth
    rejoin = _quick_parse(["--low-bandwidth"])
    assert rejoin is not None and rejoin.low_bandwidth and rejoin.command is None
    assert build_parser().parse_args(["demo", "--low-bandwidth"]).low_bandwidth
    assert build_parser().parse_args(["join", "ws://h:1/", "--low-bandwidth"]).low_bandwidth
    assert not build_parser().parse_args(["demo"]).low_bandwidth
