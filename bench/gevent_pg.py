"""Does a slow PostgreSQL query stall the other greenlets of a gevent worker?

Runs, under gevent's monkey-patching (as gunicorn's gevent worker does), one greenlet that
executes ``SELECT pg_sleep(S)`` through psycopg 3 while another greenlet ticks every 10 ms
and records the longest gap between ticks. If psycopg waited in C (blocking), the longest
gap would be about S; if it cooperates, it stays near 10 ms.

    python bench/gevent_pg.py [--url postgresql://postgres@127.0.0.1:5432/test] [--seconds 1.0] [--queries 4]

Prints one line of figures; exits 1 if the longest gap exceeds half the query time.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import psycopg  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each slow query")
    parser.add_argument("--queries", type=int, default=4, help="slow queries running at once")
    args = parser.parse_args()

    done = gevent.event.Event()
    gaps: list[float] = []

    def slow_query() -> None:
        with psycopg.connect(args.url) as conn:
            conn.execute("SELECT pg_sleep(%s)", (args.seconds,))

    def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            gevent.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    tick = gevent.spawn(ticker)
    started = time.perf_counter()
    gevent.joinall([gevent.spawn(slow_query) for _ in range(args.queries)], raise_error=True)
    elapsed = time.perf_counter() - started
    done.set()
    tick.join()
    longest = max(gaps) * 1000
    print(f"gevent+psycopg {psycopg.__version__}: {args.queries} x pg_sleep({args.seconds}) took {elapsed:.2f} s "
          f"(serial would be {args.queries * args.seconds:.1f} s); other greenlet ticked {len(gaps)} times, "
          f"longest gap {longest:.1f} ms")
    return 0 if longest < args.seconds * 500 else 1


if __name__ == "__main__":
    raise SystemExit(main())
