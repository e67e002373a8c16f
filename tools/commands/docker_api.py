"""A small client of the Docker Engine API over its unix socket: the calls pulumi-docker makes
(create, upload an archive, start, inspect, remove), so a replay sends the engine what the
provider would, including what the `docker` command line cannot express (exec-form health checks)."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import quote, urlencode

SOCKET = "/var/run/docker.sock"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class EngineError(RuntimeError):
    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status


class Engine:
    def __init__(self, path: str = SOCKET, timeout: float = 120):
        self.path, self.timeout = path, timeout

    def call(
        self,
        method: str,
        endpoint: str,
        body: Any = None,
        query: dict | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> Any:
        connection = _UnixConnection(self.path, self.timeout)
        target = endpoint + (f"?{urlencode(query)}" if query else "")
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {"Content-Type": content_type} if data is not None else {}
        try:
            connection.request(method, target, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        if response.status >= 400:
            try:
                message = json.loads(payload).get("message", "")
            except ValueError:
                message = payload.decode(errors="replace")
            raise EngineError(response.status, message)
        if not payload:
            return None
        try:
            return json.loads(payload)
        except ValueError:
            return payload

    def ping(self) -> bool:
        try:
            self.call("GET", "/_ping")
            return True
        except (OSError, EngineError):
            return False

    def create(self, name: str, body: dict) -> str:
        return self.call("POST", "/containers/create", body, query={"name": name})["Id"]

    def upload(self, container: str, tar: bytes, path: str = "/") -> None:
        self.call(
            "PUT", f"/containers/{container}/archive", query={"path": path}, raw=tar, content_type="application/x-tar"
        )

    def start(self, container: str) -> None:
        self.call("POST", f"/containers/{container}/start")

    def inspect(self, container: str) -> dict:
        return self.call("GET", f"/containers/{quote(container)}/json")

    def remove(self, container: str) -> None:
        try:
            self.call("DELETE", f"/containers/{quote(container)}", query={"force": "true"})
        except EngineError as error:
            if error.status != 404:
                raise

    def exec(self, container: str, cmd: list[str], user: str | None = None) -> tuple[int, str]:
        """Run `cmd` in the container (as the container's user, or `user`); (exit code, combined
        output without the stream framing)."""
        body = {"Cmd": cmd, "AttachStdout": True, "AttachStderr": True, **({"User": user} if user else {})}
        created = self.call("POST", f"/containers/{container}/exec", body)
        output = self.call("POST", f"/exec/{created['Id']}/start", {"Detach": False, "Tty": False}) or b""
        text = _demultiplex(output if isinstance(output, bytes) else json.dumps(output).encode())
        return self.call("GET", f"/exec/{created['Id']}/json")["ExitCode"], text

    def logs(self, container: str, tail: int = 30) -> str:
        raw = self.call(
            "GET", f"/containers/{quote(container)}/logs", query={"stdout": "1", "stderr": "1", "tail": str(tail)}
        )
        return _demultiplex(raw) if isinstance(raw, bytes) else str(raw)


def _demultiplex(stream: bytes) -> str:
    """Docker's multiplexed stream: 8-byte headers (stream, 0, 0, 0, size as big-endian uint32)."""
    out, i = [], 0
    while i + 8 <= len(stream):
        size = int.from_bytes(stream[i + 4 : i + 8], "big")
        out.append(stream[i + 8 : i + 8 + size])
        i += 8 + size
    return b"".join(out).decode(errors="replace") if out else stream.decode(errors="replace")
