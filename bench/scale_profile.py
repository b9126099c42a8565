"""The embedded default and the scaled profile, side by side, under the same circle loads.

For each profile it starts real servers on free 127.0.0.1 ports, runs bench/circle_fanout.py
against them for every load, stops them, and prints one table:

  embedded   SQLite file, one gunicorn gevent worker, in-process broker (what `make run` serves)
  scaled     PostgreSQL (a fresh schema) + Redis pub/sub, --workers gunicorn processes with one
             gevent worker each on their own ports; circle_fanout spreads streams round-robin
             over them and sends each circle's passes to the workers in turn, as a load balancer
             would, so most deliveries cross workers through Redis. scaled:N runs N workers.
  postgresql PostgreSQL as scaled, but one worker and the in-process broker (no Redis): not a
             deployment (a second worker would not see the first one's changes), a step between
             the two that shows what PostgreSQL alone adds to a pass.

    python bench/scale_profile.py [--loads 1x31:200@0.2,60x31,130x31] [--workers 2] [--passes 8] [--interval 5]
                                  [--profiles embedded,postgresql,scaled:1,scaled] [--pg postgresql://postgres@127.0.0.1:5432/test]
                                  [--redis redis://127.0.0.1:6379/0]

A load is CIRCLESxDEVICES[:PASSES][@INTERVAL]: passes per circle (default --passes) and the mean
pause between passes (default --interval); each circle waits a random 0 to 2 x INTERVAL seconds
between passes, as a real circle does while pupils speak.
Besides the latencies it prints the CPU each pass cost, counted from /proc from every stream open
to the last pass: the app's gunicorn processes, every PostgreSQL process on the machine (postgresql,
scaled) and every Redis process (scaled).
--workers (scaled without :N) defaults to 2, one per core of this machine, as the README's
production profile runs.
Everything runs on this machine (bench client included) and only
talks to 127.0.0.1; each circle_fanout run is bounded by its own --max-seconds.
"""
import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rrp_pwa import create_app  # noqa: E402
from rrp_pwa.extensions import db  # noqa: E402
from tests.servers import LiveServer  # noqa: E402

FIGURE = re.compile(r"p50 ([\d.]+) ms  p95 ([\d.]+) ms  p99 ([\d.]+) ms")
FIGURE_N = re.compile(r"\(n=(\d+)\)")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ms_of(pids: list[int]) -> float:
    """User + system CPU milliseconds of these processes and of their children that have ended.

    A PostgreSQL backend that closes during a run (a connection beyond the pool's size) takes its
    CPU with it; the postmaster, which waits for it, then counts it among its children's."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
    return total * 1000 / TICKS


def pids_of(name: str) -> list[int]:
    return [int(pid) for pid in subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout.split()]


def child_pids(pid: int) -> list[int]:
    return [int(child) for child in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]


def parse_load(text: str, passes: int, interval: float) -> tuple[int, int, int, float]:
    """'60x31' or '1x31:200@0.2' -> (circles, devices, passes, interval)."""
    match = re.fullmatch(r"(\d+)x(\d+)(?::(\d+))?(?:@([\d.]+))?", text.strip())
    if not match:
        raise SystemExit(f"a load looks like 60x31 or 1x31:200@0.2, not {text!r}")
    circles, devices, own_passes, own_interval = match.groups()
    return int(circles), int(devices), int(own_passes or passes), float(own_interval or interval)


def parse_profile(text: str) -> tuple[str, int | None]:
    """'embedded', 'postgresql', 'scaled' or 'scaled:4' -> (name, workers; None: --workers)."""
    match = re.fullmatch(r"(embedded|postgresql)|scaled(?::([1-9]\d*))?", text.strip())
    if not match:
        raise SystemExit(f"a profile is embedded, postgresql, scaled or scaled:N (N >= 1), not {text!r}")
    return match.group(1) or "scaled", int(match.group(2)) if match.group(2) else None


def create_tables(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()


class Profile:
    """Servers of one profile, started and stopped around the loads."""

    def __init__(self, name: str, workers: int | None, args: argparse.Namespace, tmp: Path) -> None:
        self.name, self.args, self.tmp = name, args, tmp
        self.schema = None
        if name == "embedded":
            self.database_url = f"sqlite:///{tmp / 'embedded.sqlite3'}"
            env, count = {"REDIS_URL": ""}, 1
        else:
            self.schema = f"rrp_bench_{secrets.token_hex(4)}"
            base = args.pg.replace("postgresql://", "postgresql+psycopg://", 1)
            with create_engine(base).begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {self.schema}"))
            separator = "&" if "?" in base else "?"  # e.g. --pg 'postgresql://postgres@/test?host=/var/run/postgresql'
            self.database_url = f"{base}{separator}options=-csearch_path%3D{self.schema}"
            env = {"REDIS_URL": args.redis if name == "scaled" else "", "DB_POOL_SIZE": "10", "DB_MAX_OVERFLOW": "10"}
            count = (workers or args.workers) if name == "scaled" else 1
        create_tables(self.database_url)
        per_worker = max(1000, 2 * max(load[0] * load[1] for load in args.loads) // count + 200)
        self.servers = [LiveServer(self.database_url, tmp, env, worker_connections=per_worker) for _ in range(count)]

    def run(self, circles: int, devices: int, passes: int, interval: float) -> dict:
        command = [sys.executable, "-u", str(ROOT / "bench" / "circle_fanout.py"), "--database-url", self.database_url,
                   "--circles", str(circles), "--devices", str(devices), "--passes", str(passes),
                   "--jitter", "--interval", str(interval), "--max-seconds", str(self.args.max_seconds)]
        for server in self.servers:
            command += ["--url", server.url]
        client = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  env={"SECRET_KEY": "e2e-secret", "PATH": "/usr/bin:/bin"})
        timer = threading.Timer(self.args.max_seconds + 120, client.kill)
        timer.start()
        lines, cpu_before, cpu_after = [], None, None
        for line in client.stdout:  # the CPU count runs from every stream open to the last pass: passes only
            lines.append(line)
            if cpu_before is None and "streams open" in line:
                cpu_before = self.cpu_ms()
            elif cpu_before is not None and cpu_after is None and line.startswith("passes done"):
                cpu_after = self.cpu_ms()
        client.wait()
        timer.cancel()
        cpu_used = {k: v - cpu_before[k] for k, v in cpu_after.items()} if cpu_before and cpu_after else None
        out = "".join(lines)
        every = FIGURE.search(out.split("pass-to-every-device:", 1)[-1]) if "pass-to-every-device:" in out else None
        errors = re.search(r"errors: (\d+)", out)
        opened = re.search(r"(\d+) of (\d+) streams open in ([\d.]+) s", out)
        made = FIGURE_N.search(out.split("pass request alone:", 1)[-1]) if "pass request alone:" in out else None
        per_pass = ({k: f"{v / int(made.group(1)):.1f}" for k, v in cpu_used.items()}
                    if cpu_used and made else {"app": "-", "services": "-"})
        return {"every": every.groups() if every else ("-", "-", "-"),
                "errors": errors.group(1) if errors else "run failed",
                "opened": f"{opened.group(1)}/{opened.group(2)} in {opened.group(3)} s" if opened else "-",
                "cpu": per_pass, "output": out}

    def cpu_ms(self) -> dict[str, float]:
        """CPU time so far of the app's processes, and of PostgreSQL's (postgresql, scaled) and Redis's (scaled)."""
        app = [pid for server in self.servers for pid in [server.process.pid, *child_pids(server.process.pid)]]
        services = (pids_of("postgres") if self.schema else []) + (pids_of("redis-server") if self.name == "scaled" else [])
        return {"app": cpu_ms_of(app), "services": cpu_ms_of(services)}

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        if self.schema:
            base = self.args.pg.replace("postgresql://", "postgresql+psycopg://", 1)
            with create_engine(base).begin() as conn:
                conn.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", default="1x31:200@0.2,60x31,130x31")
    parser.add_argument("--profiles", default="embedded,scaled")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--passes", type=int, default=8)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--max-seconds", type=float, default=240)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--verbose", action="store_true", help="print each circle_fanout run's own output")
    args = parser.parse_args()
    args.loads = [parse_load(load, args.passes, args.interval) for load in args.loads.split(",")]
    profiles = [parse_profile(text) for text in args.profiles.split(",")]  # all checked before any server starts
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, workers in profiles:
            profile = Profile(name, workers, args, Path(tmp))
            try:
                for circles, devices, passes, interval in args.loads:
                    result = profile.run(circles, devices, passes, interval)
                    if args.verbose:
                        print(result["output"])
                    rows.append((profile.name, len(profile.servers), circles, devices, result))
                    p50, p95, p99 = result["every"]
                    print(f"{profile.name:<10} workers {len(profile.servers)}  {circles:>4} x {devices} = {circles * devices:>5} "
                          f"streams  opened {result['opened']:<18} pass-to-every-device p50 {p50} p95 {p95} "
                          f"p99 {p99} ms  errors {result['errors']}  CPU ms per pass: app {result['cpu']['app']}"
                          f" PostgreSQL+Redis {result['cpu']['services']}", flush=True)
            finally:
                profile.stop()
    print("\n| profile | workers | circles x devices | streams | p50 ms | p95 ms | p99 ms | errors | CPU ms a pass: app | PostgreSQL + Redis |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, workers, circles, devices, result in rows:
        p50, p95, p99 = result["every"]
        print(f"| {name} | {workers} | {circles} x {devices} | {circles * devices} | {p50} | {p95} | {p99} | "
              f"{result['errors']} | {result['cpu']['app']} | {result['cpu']['services']} |")
    return 0 if all(result["errors"] == "0" for *_, result in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
