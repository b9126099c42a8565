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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """gunicorn serving the app, as `make run` does, against the test database."""

    def __init__(self, database_uri: str, tmp: Path, extra_env: dict | None = None, workers: int = 1,
                 worker_connections: int = 1000) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": database_uri, "SECRET_KEY": "e2e-secret",
               "PYTHONPATH": str(ROOT), **(extra_env or {})}
        self.log = open(tmp / f"gunicorn-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", str(workers),
             "--worker-connections", str(worker_connections), "--no-control-socket", "--graceful-timeout", "1",
             "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
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
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        with self.lock:
            self.connected = False
            for sock in self.sockets:
                _reset(sock)
            self.sockets.clear()

    def mend(self) -> None:
        with self.lock:
            self.connected = True

    def close(self) -> None:
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self.lock:
                if not self.connected:
                    _reset(client)
                    continue
                server = socket.create_connection(("127.0.0.1", self.server_port))
                self.sockets.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass  # reset by cut(), or by either end
        with self.lock:
            for sock in (source, sink):
                if sock in self.sockets:
                    self.sockets.discard(sock)
                    _close(sock)


def _close(sock: socket.socket) -> None:
    """Close, waking the thread that may be reading from it."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already gone
    sock.close()


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset, as a dropped connection looks to the browser."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)  # wakes a reader without sending a FIN
    except OSError:
        pass
    sock.close()
