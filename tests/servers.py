"""Real servers for tests: gunicorn with the gevent worker on a free 127.0.0.1 port, as `make run`
starts it, stopped by the test that started it; and a cable to it that a test can cut."""
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACCESS_LOG_FORMAT = '%(t)s "%(r)s" %(s)s %(M)sms dest=%({sec-fetch-dest}i)s referer=%(f)s'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """gunicorn serving the app, as `make run` does, against the test database."""

    def __init__(self, database_uri: str, tmp: Path, extra_env: dict | None = None, workers: int = 1,
                 worker_connections: int = 1000, access_log: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": database_uri, "SECRET_KEY": "e2e-secret",
               "PYTHONPATH": str(ROOT), **(extra_env or {})}
        self.log = open(tmp / f"gunicorn-{self.port}.log", "w")
        # Every request, for the report of a browser test that fails: what reached the server, when.
        logging = ["--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT] if access_log else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", str(workers),
             "--worker-connections", str(worker_connections), "--no-control-socket", "--graceful-timeout", "1",
             *logging, "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start: {Path(self.log.name).read_text()[-2000:]}")

    def log_size(self) -> int:
        return Path(self.log.name).stat().st_size

    def log_since(self, offset: int) -> str:
        with open(self.log.name, errors="replace") as log:
            log.seek(offset)
            return log.read()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class Cable:
    """A TCP link from the browser to a live server that a test cuts and mends, as a phone loses and
    finds its signal in the playground.

    Chromium's offline emulation (context.set_offline) is what makes navigator.onLine false, but it
    is applied by DevTools and a request can slip past it: seen with Chromium 156, a page being
    reloaded posted its outbox straight to the server. Cut, this cable resets every open
    connection and every new one, so nothing reaches the server whatever the browser does.
    """

    def __init__(self, server_port: int) -> None:
        self.server_port = server_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connected = True
        self.links: set[_Link] = set()
        self.lock = threading.Lock()
        self.accepting = threading.Thread(target=self._accept, daemon=True)
        self.accepting.start()

    def cut(self) -> None:
        with self.lock:
            self.connected = False
            for link in self.links:
                link.reset()

    def mend(self) -> None:
        with self.lock:
            self.connected = True

    def close(self) -> None:
        self.cut()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes accept(); close() alone does not
        except OSError:
            pass
        self.listener.close()
        self.accepting.join(timeout=5)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(("127.0.0.1", self.server_port), timeout=5)
                server.settimeout(None)
            except OSError:
                dropped = _Link(client)  # the server is gone: the browser sees a dropped line
                dropped.reset()
                dropped.close()
                continue
            link = _Link(client, server)
            with self.lock:
                if not self.connected:
                    link.reset()
                    link.close()
                    continue
                self.links.add(link)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(link, source, sink), daemon=True).start()

    def _pipe(self, link: "_Link", source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass  # reset by cut(), or by either end
        link.stop()  # the other direction ends too
        with self.lock:
            link.pipes -= 1
            if link.pipes == 0:  # the last of the two threads closes, so no thread uses a closed socket
                self.links.discard(link)
                link.close()


class _Link:
    """One browser connection and its connection to the server, piped by two threads."""

    def __init__(self, *sockets: socket.socket) -> None:
        self.sockets = sockets
        self.pipes = 2

    def reset(self) -> None:
        """Drop the line at once: both pipe threads wake and stop, and closing sends a TCP reset."""
        for sock in self.sockets:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass  # already gone
        self.stop()

    def stop(self) -> None:
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already gone

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
