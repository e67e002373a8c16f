"""`make preflight STACK=<stack>`: before a deploy, check that Loki's S3 bucket exists and is writable
with the configured endpoint and credentials, and say what is wrong when it is not.

Credentials: LOKI_S3_ACCESS_KEY_ID / LOKI_S3_SECRET_ACCESS_KEY from the environment, else the stack's
secrets through `pulumi config get` when the Pulumi CLI is installed. Exit 0: fine or no S3 in use;
1: the bucket check failed; 2: the stack or the credentials could not be read."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import from_stack_file, load
from observability_stack.configs.models.loki import S3Storage
from observability_stack.configs.render.loki import S3_ENV

ROOT = Path(__file__).resolve().parents[2]
PROBE_PREFIX = "loki-preflight/"


class PreflightError(Exception):
    """A problem found, with the explanation a person needs to fix it."""


class MissingCredentials(PreflightError):
    """Nothing to check with: not a finding about the bucket."""


def endpoint_url(s3: S3Storage) -> str | None:
    """Loki takes `host:port` and `insecure`; boto3 needs a URL."""
    if not s3.endpoint:
        return None
    if "://" in s3.endpoint:
        return s3.endpoint
    return f"{'http' if s3.insecure else 'https'}://{s3.endpoint}"


def make_client(s3: S3Storage, access_key: str, secret_key: str):
    import boto3
    from botocore.config import Config

    config = Config(
        region_name=s3.region,
        connect_timeout=5,
        read_timeout=10,
        retries={"max_attempts": 1},
        s3={"addressing_style": "path" if s3.s3forcepathstyle else "virtual"},
    )
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url(s3),
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=config,
    )


def _explain(error: Exception, s3: S3Storage, action: str) -> str:
    from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

    where = endpoint_url(s3) or f"AWS S3 ({s3.region})"
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
        return (
            f"cannot reach {where}: {error}. Check loki.storage.s3.endpoint (host:port, and `insecure` "
            f"for plain http) and that this machine can reach it."
        )
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("NoSuchBucket", "404") or (status == 404 and action == "find"):
            return f"bucket {s3.bucket!r} does not exist at {where}: create it, or fix loki.storage.s3.bucket/region."
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"):
            return (
                f"{where} rejected the credentials ({code}): check the access key id and secret "
                f"(LOKI_S3_ACCESS_KEY_ID / LOKI_S3_SECRET_ACCESS_KEY or observability:secrets)."
            )
        if code in ("AccessDenied", "403", "AllAccessDisabled") or status == 403:
            return (
                f"access denied to {action} in bucket {s3.bucket!r} ({code}): Loki needs s3:ListBucket, "
                f"s3:GetObject, s3:PutObject and s3:DeleteObject on it."
            )
        if code == "PermanentRedirect" or status == 301:
            return f"bucket {s3.bucket!r} is in another region than {s3.region!r}: fix loki.storage.s3.region."
        return f"{action} failed at {where}: {code or status}: {error}"
    return f"{action} failed at {where}: {error}"


def check_bucket(s3: S3Storage, client) -> str:
    """Exists, writable and deletable (the compactor deletes expired chunks). Returns a summary."""
    key = f"{PROBE_PREFIX}{uuid.uuid4().hex}"
    for action, call in (
        ("find", lambda: client.head_bucket(Bucket=s3.bucket)),
        ("write", lambda: client.put_object(Bucket=s3.bucket, Key=key, Body=b"loki preflight\n")),
        ("delete", lambda: client.delete_object(Bucket=s3.bucket, Key=key)),
    ):
        try:
            call()
        except Exception as error:  # botocore raises several unrelated classes; _explain sorts them
            raise PreflightError(_explain(error, s3, action)) from None
    return f"bucket {s3.bucket!r} at {endpoint_url(s3) or 'AWS S3 (' + s3.region + ')'} exists and is writable"


def _pulumi_secret(stack: str, name: str) -> str | None:
    if not shutil.which("pulumi"):
        return None
    result = subprocess.run(
        ["pulumi", "config", "get", "--path", f"observability:secrets.{name}", "--stack", stack],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    return result.stdout.rstrip("\n") if result.returncode == 0 and result.stdout.strip() else None


def credentials(s3: S3Storage, stack: str) -> tuple[str, str]:
    values = []
    for field, env in S3_ENV.items():
        secret_name = getattr(s3, field)
        value = os.environ.get(env) or _pulumi_secret(stack, secret_name)
        if not value:
            raise MissingCredentials(
                f"no {env}: export it, or set it in the stack (pulumi config set --secret --path "
                f"'observability:secrets.{secret_name}' ...) and install the Pulumi CLI so preflight can read it."
            )
        values.append(value)
    return values[0], values[1]


def preflight(stack: str, stack_file: Path, client_factory=None) -> str:
    config, _, _ = load(from_stack_file(stack_file))
    if not config.loki.enabled or config.loki.storage.type != "s3":
        return f"stack {stack!r} does not store Loki data in S3: nothing to check"
    s3 = config.loki.storage.s3
    access_key, secret_key = credentials(s3, stack)
    return check_bucket(s3, (client_factory or make_client)(s3, access_key, secret_key))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--stack-file", type=Path, help="default: Pulumi.<stack>.yaml in the project")
    args = parser.parse_args(argv)
    stack_file = args.stack_file or ROOT / f"Pulumi.{args.stack}.yaml"
    if not stack_file.exists():
        print(f"preflight: no stack file {stack_file}", file=sys.stderr)
        return 2
    try:
        message = preflight(args.stack, stack_file)
    except ConfigError as error:
        print(f"preflight: {error}", file=sys.stderr)
        return 2
    except MissingCredentials as error:
        print(f"preflight: {error}", file=sys.stderr)
        return 2
    except PreflightError as error:
        print(f"preflight: FAILED: {error}", file=sys.stderr)
        return 1
    print(f"preflight: ok: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
