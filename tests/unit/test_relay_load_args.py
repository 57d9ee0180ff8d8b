"""bench/relay_load.py's argument handling and its baseline's data (cheap: no load is run).

``--baseline-from DIR`` runs an older checkout's relay beside this one; an older relay
refuses a database a newer one wrote, so the baseline's data is seeded by the baseline's
own store (:func:`relay_load.seed_with`, a child process of that checkout).
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "relay_load.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("relay_load", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("relay_load", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=60, cwd=REPO)


def test_a_baseline_without_repetitions_is_refused_in_one_sentence(tmp_path):
    done = bench("--baseline-from", str(REPO))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "relay_load.py: error: --baseline-from needs --repeat N: the baseline runs in each repetition, beside this relay."
    )


def test_a_baseline_beside_postgresql_is_refused_in_one_sentence(tmp_path):
    done = bench("--store", "pg", "--repeat", "3", "--baseline-from", str(REPO))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "relay_load.py: error: --baseline-from runs an older relay beside this one on SQLite; "
        "with --store pg, run each checkout's bench in turn."
    )


def test_a_baseline_folder_with_no_relay_is_refused_before_anything_runs(tmp_path):
    done = bench("--repeat", "1", "--baseline-from", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"relay_load.py: error: --baseline-from {tmp_path}: no relay there (no server/__main__.py); "
        "give a checkout, e.g. git archive COMMIT | tar -x -C DIR."
    )


def test_the_baselines_data_is_written_by_the_baselines_own_store(tmp_path):
    """A checkout one migration behind this one (an older relay) seeds data at its own schema,
    which its relay opens; the groups and tokens are the ones it made."""
    older = tmp_path / "older"
    for part in ("server", "protocol"):
        shutil.copytree(REPO / part, older / part, ignore=shutil.ignore_patterns("__pycache__"))
    store_py = older / "server" / "store.py"
    store_py.write_text(store_py.read_text() + "\nMIGRATIONS = MIGRATIONS[:-1]  # the test's older relay\n")
    relay_load = load_bench()
    from server.store import MIGRATIONS

    groups = relay_load.seed_with(older, tmp_path / "data", 3, 2)
    assert sorted(len(people) for people in groups.values()) == [2, 2, 2]
    assert sorted(i for people in groups.values() for i, _t in people) == list(range(6))
    with sqlite3.connect(tmp_path / "data" / "iop.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) - 1
        assert db.execute("SELECT count(*) FROM members").fetchone()[0] == 6


def test_a_baseline_that_cannot_seed_says_so_in_one_sentence(tmp_path):
    broken = tmp_path / "broken"
    (broken / "server").mkdir(parents=True)
    (broken / "server" / "__init__.py").write_text("raise ImportError('this checkout is broken')\n")
    relay_load = load_bench()
    try:
        relay_load.seed_with(broken, tmp_path / "data", 1, 1)
    except SystemExit as exc:
        assert str(exc) == (
            f"relay_load: the relay of {broken} could not seed its data (ImportError: this checkout is broken); is it a checkout of iop-tui?"
        )
    else:
        raise AssertionError("a broken baseline seeded data")


def test_the_benchs_haproxy_runs_the_pages_configuration_on_loopback_without_per_address_limits(tmp_path):
    """``--balancer haproxy`` measures docs/deployment.md's configuration, not one of its own: the
    page's health check and timeouts, its nodes on loopback, and no per-address cap (every load
    worker's member comes from 127.0.0.1, which the page's stick table would refuse)."""
    cfg = load_bench().haproxy_config(8123, [("node1", 9001), ("node2", 9002)])
    page = (REPO / "docs" / "deployment.md").read_text()
    for kept in ("option httpchk GET /healthz", "timeout check 5s", "default-server inter 2s fall 3 rise 2 on-marked-down shutdown-sessions", "option redispatch 1"):
        assert kept in page and kept in cfg, kept
    assert "bind 127.0.0.1:8123\n" in cfg and "ssl" not in cfg
    assert "stick-table" not in cfg and "track-sc0" not in cfg and "deny" not in cfg
    assert "cookie iop_node" in page and "cookie iop_node" in cfg  # members are routed to their group's owner
    assert cfg.splitlines()[-2:] == ["    server node1 127.0.0.1:9001 check cookie node1", "    server node2 127.0.0.1:9002 check cookie node2"]
    if shutil.which("haproxy"):
        (tmp_path / "haproxy.cfg").write_text(cfg)
        checked = subprocess.run(["haproxy", "-c", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stdout + checked.stderr
