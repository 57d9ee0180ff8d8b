"""protocol/route.py: a route is a node id safe in a cookie, read from a request's cookies in one place."""

from __future__ import annotations

import pytest

from protocol.messages import Limits, welcome_frame
from protocol.route import MAX_ROUTE, ROUTE_COOKIE, cookie_header, route_frame, route_in_cookies, valid_route


@pytest.mark.parametrize("value", ["node-1", "a", "relay_3.eu-west", "x" * MAX_ROUTE])
def test_a_node_id_of_letters_digits_dots_hyphens_and_underscores_is_a_route(value):
    assert valid_route(value) == value


@pytest.mark.parametrize("value", ["", "x" * (MAX_ROUTE + 1), "node 1", "node;1", "a\r\nSet-Cookie: x=1", "nœud", None, 7, ["a"]])
def test_anything_else_is_not_a_route(value):
    assert valid_route(value) is None


def test_a_client_sends_its_route_or_an_empty_cookie_and_never_an_invalid_one():
    assert cookie_header("node-2") == f"{ROUTE_COOKIE}=node-2"
    assert cookie_header(None) == f"{ROUTE_COOKIE}="
    assert cookie_header("a\r\nX-Evil: 1") == f"{ROUTE_COOKIE}="


@pytest.mark.parametrize(
    ("headers", "route"),
    [
        ([], None),
        (["theme=dark"], None),
        (["iop_node="], ""),
        (["iop_node=node-1"], "node-1"),
        (["theme=dark; iop_node=node-1; lang=en"], "node-1"),
        (['iop_node="node-1"'], "node-1"),
        (["iop_node=no route!"], ""),
        (["theme=dark", "iop_node=node-3"], "node-3"),
        (["iop_nodes=node-1"], None),
        (["x=" + "y" * 5000 + "; iop_node=node-1"], None),  # past what is read: as if absent
    ],
)
def test_a_requests_cookies_say_whether_the_client_knows_routes_and_which_it_asks_for(headers, route):
    assert route_in_cookies(headers) == route


def test_a_welcome_names_the_owner_only_when_there_are_several_nodes():
    common = dict(member={"id": 1}, group={"id": 1, "name": "G"}, roster=[], limits=Limits(65536, 10.0, 20), head_seq=0, mode="reset", replay_from=1)
    assert "route" not in welcome_frame(**common)
    assert welcome_frame(**common, route="node-1")["route"] == "node-1"
    assert route_frame("node-1") == {"kind": "route", "route": "node-1"}
