"""`make preflight`: the Loki bucket check, against moto's S3."""

from __future__ import annotations

import json
import os
import stat

import boto3
import pytest
import yaml
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from observability_stack.configs.models.loki import S3Storage
from tools.commands import preflight

BUCKET = "loki-chunks"
REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    # No real AWS profile or credentials may leak into a test; the CLI fallback only where a test adds it.
    for name in (
        "LOKI_S3_ACCESS_KEY_ID",
        "LOKI_S3_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setattr(preflight.shutil, "which", lambda name: None)


def stack_file(tmp_path, s3: dict | None, **loki) -> str:
    section = dict(loki)
    if s3 is not None:
        section["storage"] = {"type": "s3", "s3": s3}
    # As `pulumi config set --secret` leaves them: ciphertext the preflight cannot (and need not) read.
    secrets = {name: {"secure": "v1:AAAA"} for name in ("loki_s3_access_key_id", "loki_s3_secret_access_key")}
    document = {
        "config": {
            "observability:common": {"target": "kubernetes"},
            "observability:loki": section,
            "observability:secrets": secrets,
        }
    }
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


def run(tmp_path, capsys, s3, **loki) -> tuple[int, str]:
    code = preflight.main(["--stack", "test", "--stack-file", stack_file(tmp_path, s3, **loki)])
    out = capsys.readouterr()
    print(out.out + out.err)  # shown when the test fails
    return code, out.out + out.err


def use_env_credentials(monkeypatch, key="AKIDTEST", secret="secret-test"):
    monkeypatch.setenv("LOKI_S3_ACCESS_KEY_ID", key)
    monkeypatch.setenv("LOKI_S3_SECRET_ACCESS_KEY", secret)


def test_stacks_without_s3_pass_with_a_message(tmp_path, capsys):
    code, output = run(tmp_path, capsys, None)
    assert code == 0 and "does not store Loki data in S3" in output
    assert preflight.main(["--stack", "prod"]) == 0


@mock_aws
def test_existing_writable_bucket_passes_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    use_env_credentials(monkeypatch)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    code, output = run(tmp_path, capsys, {"bucket": BUCKET, "region": REGION, "s3forcepathstyle": True})
    assert code == 0 and f"bucket '{BUCKET}'" in output and "writable" in output
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0  # the probe object was deleted


@mock_aws
def test_missing_bucket_is_named(tmp_path, capsys, monkeypatch):
    use_env_credentials(monkeypatch)
    code, output = run(tmp_path, capsys, {"bucket": "no-such-bucket", "region": REGION})
    assert code == 1 and "'no-such-bucket' does not exist" in output


def test_missing_credentials_say_where_to_set_them(tmp_path, capsys):
    code, output = run(tmp_path, capsys, {"bucket": BUCKET})
    assert code == 2 and "LOKI_S3_ACCESS_KEY_ID" in output and "observability:secrets.loki_s3_access_key_id" in output


@mock_aws
def test_credentials_from_the_pulumi_cli(tmp_path, capsys, monkeypatch):
    """Without environment variables, the stack's secrets are read with `pulumi config get`."""
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.json"
    fake = bin_dir / "pulumi"
    fake.write_text(
        f"#!/usr/bin/env python3\nimport json, sys\nopen({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "print('value-for-' + sys.argv[4].rsplit('.', 1)[1])\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(preflight.shutil, "which", lambda name: str(fake) if name == "pulumi" else None)
    seen = []
    real = preflight.make_client
    monkeypatch.setattr(preflight, "make_client", lambda s3, k, s: seen.append((k, s)) or real(s3, k, s))
    code = preflight.main(["--stack", "test", "--stack-file", stack_file(tmp_path, {"bucket": BUCKET})])
    assert code == 0, capsys.readouterr()
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls[0] == ["config", "get", "--path", "observability:secrets.loki_s3_access_key_id", "--stack", "test"]
    assert seen == [("value-for-loki_s3_access_key_id", "value-for-loki_s3_secret_access_key")]


@mock_aws
@set_initial_no_auth_action_count(4)
def test_access_denied_and_bad_keys_are_explained(tmp_path, capsys, monkeypatch):
    # Four unauthenticated calls set the scene; from then on moto enforces IAM like AWS does.
    iam = boto3.client("iam", region_name="us-east-1")
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    iam.create_user(UserName="reader")
    read_only = {
        "Version": "2012-10-17",
        "Statement": [
            # moto checks HEAD bucket as "s3:HeadBucket"; AWS as s3:ListBucket. Both: read, never write.
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:HeadBucket", "s3:GetObject"], "Resource": "*"}
        ],
    }
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps(read_only))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    use_env_credentials(monkeypatch, key["AccessKeyId"], key["SecretAccessKey"])
    code, output = run(tmp_path, capsys, {"bucket": BUCKET})
    assert code == 1 and "access denied to write" in output and "s3:PutObject" in output
    use_env_credentials(monkeypatch, "AKIDNOTAKEY0000000", "wrong")
    code, output = run(tmp_path, capsys, {"bucket": BUCKET})
    assert code == 1 and "rejected the credentials" in output


def test_unreachable_endpoint_is_explained(tmp_path, capsys, monkeypatch):
    use_env_credentials(monkeypatch)
    # Port 9 on loopback (discard): nothing listens, the connection is refused at once.
    code, output = run(
        tmp_path, capsys, {"bucket": BUCKET, "endpoint": "127.0.0.1:9", "insecure": True, "s3forcepathstyle": True}
    )
    assert code == 1 and "cannot reach http://127.0.0.1:9" in output


def test_endpoint_urls():
    assert preflight.endpoint_url(S3Storage(bucket="logs")) is None
    assert preflight.endpoint_url(S3Storage(bucket="logs", endpoint="minio:9000", insecure=True)) == "http://minio:9000"
    assert preflight.endpoint_url(S3Storage(bucket="logs", endpoint="s3.example.com")) == "https://s3.example.com"
    assert preflight.endpoint_url(S3Storage(bucket="logs", endpoint="http://x:1")) == "http://x:1"
