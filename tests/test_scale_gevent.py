"""psycopg 3 cooperates with gevent: a slow query on one greenlet does not stall the others.

Runs bench/gevent_pg.py in a subprocess (monkey-patching must not leak into this process)
against the PostgreSQL of the machine, which CI always runs.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def test_a_slow_postgres_query_lets_other_greenlets_run():
    env = {k: v for k, v in os.environ.items() if k != "PSYCOPG_WAIT_FUNC"}
    result = subprocess.run([sys.executable, "bench/gevent_pg.py", "--url", PG_URL, "--seconds", "0.6",
                             "--queries", "3"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    ticks = int(re.search(r"ticked (\d+) times", result.stdout).group(1))
    assert ticks >= 20, result.stdout  # a blocked worker would tick once or twice in 0.6 s
    took = float(re.search(r"took ([\d.]+) s", result.stdout).group(1))
    assert took < 3 * 0.6, result.stdout  # three concurrent queries overlap instead of queueing
