"""Local stand-ins for the outside world of the alert path: HTTP receivers, an SMTP sink, a metrics
endpoint, and real Prometheus/Alertmanager processes. Everything binds 127.0.0.1 on ephemeral ports."""

from __future__ import annotations

import json
import socket
import socketserver
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from upstream import tool


def prometheus_process(cfg, config_dir: Path, data_dir: Path, port: int, root: Path, *extra: str) -> Process:
    """The pinned Prometheus started with the arguments the stack gives it for `cfg` (its files in
    `config_dir`), on loopback `port`, logging to `root`/prometheus.log."""
    from observability_stack.configs.render.prometheus import prometheus_args

    args = [binary("prometheus"), *prometheus_args(cfg, str(config_dir), str(data_dir))]
    return Process([*args, f"--web.listen-address=127.0.0.1:{port}", *extra], root / "prometheus.log", root)


def binary(name: str) -> str:
    """The engine build of promtool/prometheus/amtool/alertmanager (tests/upstream.py)."""
    return tool(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str, describe=lambda: ""):
    """Poll `check` until it returns something truthy; fail with `describe()` at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{describe()}")


class _Server:
    last = 0.0  # time.monotonic() of the last request received

    def start(self, server: socketserver.BaseServer) -> None:
        self.server = server
        self.port = server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class HttpReceiver(_Server):
    """Slack, PagerDuty and webhook stand-in: records (path, JSON body), answers 2xx as they do."""

    def __init__(self, host: str = "127.0.0.1"):
        """`host`: 0.0.0.0 for containers, which reach the host through their network's gateway."""
        self.requests: list[tuple[str, dict]] = []
        received, receiver = self.requests, self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, json.loads(body or b"{}")))
                receiver.last = time.monotonic()
                # PagerDuty's Events API v2 answers 202; Slack and webhooks 200.
                self.send_response(202 if self.path == "/pagerduty" else 200)
                self.end_headers()
                self.wfile.write(b'{"status":"success"}')

            def log_message(self, *args):
                pass

        self.start(ThreadingHTTPServer((host, 0), Handler))

    def bodies(self, path: str, alertname: str) -> list[dict]:
        """Requests to `path` naming `alertname` (Slack puts it in the fallback text, others in labels)."""
        return [body for p, body in list(self.requests) if p == path and alertname in json.dumps(body)]

    def slack_channels(self, alertname: str) -> set[str]:
        return {
            body.get("channel")
            for p, body in list(self.requests)
            if p.startswith("/slack/") and alertname in json.dumps(body)
        }

    def describe(self) -> str:
        return "\n".join(f"{p}: {json.dumps(b)[:300]}" for p, b in list(self.requests)) or "(no requests)"


class _ThreadingTCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True  # a connection left open by a client must not keep the test process alive


_SMTP_OK = (b"EHLO", b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP")


class SmtpSink(_Server):
    """The smallest SMTP server Alertmanager's Go client talks to: no STARTTLS, no AUTH advertised."""

    def __init__(self):
        self.messages: list[dict] = []
        messages, sink = self.messages, self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                mail: dict = {"rcpt": []}
                self.wfile.write(b"220 localhost ESMTP sink\r\n")
                for line in self.rfile:
                    verb = line[:4].upper()
                    if verb == b"DATA":
                        self.wfile.write(b"354 end with .\r\n")
                        data = b"".join(iter(self.rfile.readline, b".\r\n"))
                        messages.append({**mail, "data": data.decode(errors="replace")})
                        sink.last = time.monotonic()
                        reply = b"250 queued"
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        if verb == b"MAIL":
                            mail["from"] = line[5:].decode().strip()
                        elif verb == b"RCPT":
                            mail["rcpt"].append(line[5:].decode().strip())
                        reply = b"250 ok" if verb in _SMTP_OK else b"502 not implemented"
                    self.wfile.write(reply + b"\r\n")

        self.start(_ThreadingTCPServer(("127.0.0.1", 0), Handler))

    def naming(self, text: str) -> list[dict]:
        return [m for m in list(self.messages) if text in m["data"]]

    def describe(self) -> str:
        return "\n".join(f"smtp {m['rcpt']}: {m['data'][:120]!r}" for m in list(self.messages)) or "(no e-mail)"


class MetricsEndpoint(_Server):
    """Serves text exposition whose counters grow on every scrape, so rate()/increase() see traffic."""

    def __init__(self, render):
        scrapes = [0]

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                scrapes[0] += 1
                body = render(scrapes[0]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.start(ThreadingHTTPServer(("127.0.0.1", 0), Handler))


class Process:
    """A subprocess with its output in a log file; stop() terminates, then kills after 5 s."""

    def __init__(self, args: list[str], log: Path, cwd: Path):
        self.args, self.log = args, log
        self.handle = subprocess.Popen(args, cwd=cwd, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def tail(self, lines: int = 25) -> str:
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {Path(self.args[0]).name} (exit {self.handle.poll()}) ---\n" + "\n".join(text)

    def wait_ready(self, url: str, timeout: float) -> None:
        def ready():
            if self.handle.poll() is not None:
                pytest.fail(f"{self.args[0]} exited early\n{self.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_until(ready, timeout, f"{url} to be ready", self.tail)

    def stop(self) -> None:
        if self.handle.poll() is None:
            self.handle.terminate()
            try:
                self.handle.wait(5)
            except subprocess.TimeoutExpired:
                self.handle.kill()
                self.handle.wait(5)


def amtool_routes(config_file: Path, labels: dict[str, str]) -> list[str]:
    """Receivers the routing tree picks for `labels` (`amtool config routes test`, time is ignored)."""
    pairs = [f"{key}={value}" for key, value in labels.items()]
    result = subprocess.run(
        [binary("amtool"), "config", "routes", "test", f"--config.file={config_file}", *pairs],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, f"amtool failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout.strip().split(",")
