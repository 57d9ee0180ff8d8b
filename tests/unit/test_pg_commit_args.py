"""bench/pg_commit.py refuses bad input in one sentence, before it makes anything (cheap: no commit is run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "pg_commit.py"


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=60, cwd=REPO)


def test_a_count_below_one_is_refused_in_one_sentence():
    done = bench("--lines", "0")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == "pg_commit.py: error: argument --lines: expected a whole number of at least 1, got '0'"


def test_a_server_it_cannot_reach_is_one_sentence_without_the_password():
    done = bench("--url", "postgresql://someone:s3cret@127.0.0.1:1/clinic")
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("pg_commit.py: error: --url: cannot make the scratch database on that server (connection failed")
    assert "s3cret" not in done.stderr and "Traceback" not in done.stderr
