"""A throwaway Kubernetes cluster on loopback, from the binaries tools/engine/build.py builds.

    python3 tools/engine/cluster.py up      # start it, print the kubeconfig path
    python3 tools/engine/cluster.py down    # stop it and delete its data

etcd (data in the cluster directory), kube-apiserver, kube-controller-manager, kube-scheduler and
kwok, which runs fake nodes whose pods the API server reports as running and ready. No containers
run: the cluster shows what the API server and the Pulumi provider do with the stack's objects
(validation, defaults, diffs, awaits, deletes), not what the images do. Every port is on 127.0.0.1.
Volumes: `PV_COUNT` host-path PersistentVolumes of the default storage class `STORAGE_CLASS`, which
the controller manager binds to claims as a provisioner would. The class allows expansion, as the
cloud ones do, so a larger claim size passes the API server's resize admission (nothing grows on
disk: no provisioner runs). Standard library and the `openssl` command only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build  # noqa: E402  (tools/engine/build.py: where the binaries are)

CONTEXT = "observability-local"
DEFAULT_DIR = build.CACHE / "cluster"
NODES = ("kwok-node-0", "kwok-node-1")
PV_COUNT = 16
PV_SIZE = "100Gi"
STORAGE_CLASS = "local-expandable"
SERVICE_RANGE = "10.96.0.0/16"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _certificates(pki: Path) -> None:
    """A CA, the API server's serving certificate, an admin client certificate (system:masters) and
    the service-account signing key."""
    pki.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "3650",
        "-subj",
        "/CN=observability-local-ca",
        cwd=pki,
    )
    (pki / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes.default.svc\n"
        "extendedKeyUsage=serverAuth\n"
    )
    (pki / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, subject, ext in (
        ("apiserver", "/CN=kube-apiserver", "server.ext"),
        ("admin", "/O=system:masters/CN=observability-admin", "client.ext"),
    ):
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            "-subj",
            subject,
            cwd=pki,
        )
        _openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            f"{name}.crt",
            "-days",
            "3650",
            "-extfile",
            ext,
            cwd=pki,
        )
    _openssl("genrsa", "-out", "sa.key", "2048", cwd=pki)
    _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)


def _kubeconfig(pki: Path, server: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": CONTEXT,
        "clusters": [{"name": CONTEXT, "cluster": {"server": server, "certificate-authority": str(pki / "ca.crt")}}],
        "users": [
            {
                "name": CONTEXT,
                "user": {"client-certificate": str(pki / "admin.crt"), "client-key": str(pki / "admin.key")},
            }
        ],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT}}],
    }


class LocalCluster:
    """One cluster in `directory`; its processes' pids are kept there so `down` works from any shell."""

    def __init__(self, directory: Path = DEFAULT_DIR, bin_dir: Path = build.BIN):
        self.dir = Path(directory)
        self.bin = Path(bin_dir)
        self.pki = self.dir / "pki"
        self.kubeconfig = self.dir / "kubeconfig"
        self.logs = self.dir / "logs"
        self._processes: dict[str, subprocess.Popen] = {}

    # --- API ------------------------------------------------------------------------------------
    @property
    def server(self) -> str:
        return json.loads(self.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]

    def _ssl(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
        context.load_cert_chain(str(self.pki / "admin.crt"), str(self.pki / "admin.key"))
        return context

    def api(
        self, method: str, path: str, body: dict | None = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.server + path,
            data=data,
            method=method,
            headers={"Content-Type": content_type, "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, context=self._ssl(), timeout=30) as response:
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _decode(error.read())

    def get(self, path: str) -> Any:
        status, body = self.api("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body}")
        return body

    def exists(self, path: str) -> bool:
        return self.api("GET", path)[0] == 200

    # --- lifecycle ------------------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str]) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        binary = self.bin / name
        if not binary.exists():
            raise FileNotFoundError(f"{binary} is missing: run `make engine` first")
        log = open(self.logs / f"{name}.log", "ab")
        # A session of its own: `down` stops the whole group, and ^C in the caller's shell does not.
        process = subprocess.Popen(
            [str(binary), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.dir,
        )
        (self.dir / f"{name}.pid").write_text(str(process.pid))
        self._processes[name] = process

    def _wait(self, what: str, check, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            exited = [name for name, process in self._processes.items() if process.poll() is not None]
            if exited:
                raise RuntimeError(f"{', '.join(exited)} exited while waiting for {what}; logs in {self.logs}")
            try:
                if check():
                    return
            except (OSError, urllib.error.URLError, ValueError, RuntimeError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{what} did not come up within {timeout:.0f}s; logs in {self.logs}")

    def running(self) -> bool:
        return self.kubeconfig.exists() and any(self.dir.glob("*.pid"))

    def up(self) -> Path:
        if self.running():
            return self.kubeconfig
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        _certificates(self.pki)
        etcd_port, etcd_peer, api_port = _free_port(), _free_port(), _free_port()
        self._spawn(
            "etcd",
            [
                "--name=local",
                f"--data-dir={self.dir / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{etcd_port}",
                f"--advertise-client-urls=http://127.0.0.1:{etcd_port}",
                f"--listen-peer-urls=http://127.0.0.1:{etcd_peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{etcd_peer}",
                f"--initial-cluster=local=http://127.0.0.1:{etcd_peer}",
                "--listen-metrics-urls=",
                "--unsafe-no-fsync=true",
                "--log-level=warn",
            ],
        )
        self._wait(
            "etcd", lambda: urllib.request.urlopen(f"http://127.0.0.1:{etcd_port}/health", timeout=2).status == 200
        )
        pki = self.pki
        self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={api_port}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--client-ca-file={pki / 'ca.crt'}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                f"--service-cluster-ip-range={SERVICE_RANGE}",
                "--authorization-mode=Node,RBAC",
                f"--cert-dir={self.dir / 'apiserver-certs'}",
                "--v=1",
                # The `kubernetes` Service's endpoint would be the advertise address, which may not be
                # loopback; nothing in the cluster needs to reach the API server through it.
                "--endpoint-reconciler-type=none",
            ],
        )
        self.kubeconfig.write_text(json.dumps(_kubeconfig(pki, f"https://127.0.0.1:{api_port}"), indent=2))
        self._wait("kube-apiserver", lambda: self.api("GET", "/readyz")[0] == 200)
        common = [f"--kubeconfig={self.kubeconfig}", "--leader-elect=false", "--secure-port=0", "--v=1"]
        self._spawn(
            "kube-controller-manager",
            common
            + [
                f"--service-account-private-key-file={pki / 'sa.key'}",
                f"--root-ca-file={pki / 'ca.crt'}",
                "--use-service-account-credentials=false",
                f"--service-cluster-ip-range={SERVICE_RANGE}",
            ],
        )
        self._spawn("kube-scheduler", common)
        self._spawn(
            "kwok",
            [
                f"--kubeconfig={self.kubeconfig}",
                f"--config={self.bin / 'kwok-stages.yaml'}",
                "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                "--cidr=10.244.0.0/16",
                "--node-ip=10.0.0.1",
                f"--server-address=127.0.0.1:{_free_port()}",
                # Node leases keep the nodes Ready: without them the node controller marks them unknown
                # after its grace period (and every pod on them not ready), since the heartbeat stage
                # renews the node status only every ten minutes.
                "--node-lease-duration-seconds=40",
            ],
        )
        for node in NODES:
            self._create("/api/v1/nodes", _node(node))
        self._create("/apis/storage.k8s.io/v1/storageclasses", _storage_class())
        for i in range(PV_COUNT):
            self._create("/api/v1/persistentvolumes", _volume(f"local-pv-{i:02d}", self.dir / "volumes" / str(i)))
        self._wait("the nodes", lambda: all(_ready(self.get(f"/api/v1/nodes/{n}")) for n in NODES))
        self._wait(
            "the default service account", lambda: self.exists("/api/v1/namespaces/default/serviceaccounts/default")
        )
        return self.kubeconfig

    def _create(self, path: str, body: dict) -> None:
        status, reply = self.api("POST", path, body)
        if status not in (200, 201, 409):
            raise RuntimeError(f"POST {path}: {status} {reply}")

    def down(self) -> None:
        # Stop in reverse order of start, so nothing logs a storm of errors about the one before it.
        for name in ("kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"):
            pid_file = self.dir / f"{name}.pid"
            if not pid_file.exists():
                continue
            pid = int(pid_file.read_text())
            try:
                os.killpg(pid, signal.SIGTERM)
                for _ in range(100):
                    os.kill(pid, 0)
                    time.sleep(0.1)
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            pid_file.unlink()
        shutil.rmtree(self.dir, ignore_errors=True)


def _decode(payload: bytes) -> Any:
    """JSON, or the text of plain answers such as /readyz's `ok`."""
    try:
        return json.loads(payload or b"null")
    except ValueError:
        return payload.decode(errors="replace")


def object_path(api_version: str, kind: str, name: str, namespace: str | None = None) -> str:
    """The API path of one object, for the kinds the stack creates (their plurals are regular)."""
    lower = kind.lower()
    plural = lower[:-1] + "ies" if lower.endswith("y") else lower + ("es" if lower.endswith("ss") else "s")
    prefix = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    scope = f"/namespaces/{namespace}" if namespace else ""
    return f"{prefix}{scope}/{plural}/{name}"


def _ready(node: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in node.get("status", {}).get("conditions", []))


def _node(name: str) -> dict:
    capacity = {"cpu": "32", "memory": "256Gi", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
        },
        "status": {"capacity": capacity, "allocatable": capacity},
    }


def _storage_class() -> dict:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        # The default: claims that name no class (the stack's default) get it, and bind to the volumes.
        "metadata": {"name": STORAGE_CLASS, "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "kubernetes.io/no-provisioner",
        "volumeBindingMode": "Immediate",
        "allowVolumeExpansion": True,
    }


def _volume(name: str, path: Path) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "labels": {"observability.local/volume": "true"}},
        "spec": {
            "capacity": {"storage": PV_SIZE},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": STORAGE_CLASS,
            "hostPath": {"path": str(path)},
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("up", "down", "kubeconfig"))
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"cluster state (default {DEFAULT_DIR})")
    args = parser.parse_args(argv)
    cluster = LocalCluster(args.dir)
    if args.action == "down":
        cluster.down()
        return 0
    if args.action == "up":
        try:
            cluster.up()
        except (FileNotFoundError, TimeoutError, RuntimeError, subprocess.CalledProcessError) as error:
            print(f"cluster: {error}", file=sys.stderr)
            for log in sorted(cluster.logs.glob("*.log")):
                print(f"--- {log.name} (last lines)", file=sys.stderr)
                print("\n".join(log.read_text(errors="replace").splitlines()[-15:]), file=sys.stderr)
            cluster.down()
            return 1
    print(cluster.kubeconfig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
