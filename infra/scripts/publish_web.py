#!/usr/bin/env python3
"""Publish Parley Web to the stack that hosts it: the last step of `make deploy`.

After `sam deploy`, this reads the stack's outputs and, when the stack hosts the app
(`WebHosting=true`: the outputs name `WebBucketName`), builds the app, makes its
`config.json` from the outputs (the keys the local stack serves at `/config.json`, so the page
learns its endpoints the same way in both places), uploads the build to the bucket, asks
CloudFront to drop its copies of the two files that are not content-hashed, and prints the URL.
Without hosting it says so and does nothing.

Caching: Vite names everything under `assets/` after its content, so those files are cached
for a year and marked immutable; `index.html` and `config.json` keep their names across
deploys and are `no-cache` (browsers revalidate each load). Hashed files go up first and
`index.html` last, so no page is ever served that names an asset not uploaded yet. Earlier
builds' assets stay: a page opened before the deploy may still load them.

The stack name and region come from `--stack-name`/`--region`, else from the samconfig.toml
that `sam deploy --guided` wrote. boto3 comes with the SAM CLI (the deploy venv); the pure
functions here need nothing but the standard library (test_publish_web.py tests them).

Usage: publish_web.py [--samconfig infra/samconfig.toml] [--stack-name N] [--region R]
                      [--build "make web-build"] DIST
"""

import argparse
import json
import mimetypes
import os
import shlex
import subprocess
import sys
import time
import tomllib
from pathlib import Path

# What the page needs from the outputs, under the names the local stack's config uses.
CONFIG_KEYS = {
    "websocketUrl": "WebSocketUrl",
    "region": "Region",
    "userPoolId": "UserPoolId",
    "userPoolClientId": "UserPoolClientId",
    "bucket": "FilesBucketName",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# The paths CloudFront must fetch again after a deploy: the unhashed ones.
INVALIDATED = ["/", "/index.html", "/config.json"]
# Explicit types for what Vite emits; Python's table varies by platform (.js, .wasm).
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}


def outputs_of(describe_stacks: dict) -> dict[str, str]:
    """OutputKey → OutputValue of the one stack `aws cloudformation describe-stacks` returned."""
    stacks = describe_stacks.get("Stacks", [])
    if len(stacks) != 1:
        raise ValueError(f"expected one stack, got {len(stacks)}")
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def app_config(outputs: dict[str, str]) -> dict[str, str]:
    """The app's config.json. No `awsEndpoint`: the page then talks to the real Cognito."""
    missing = [output for output in CONFIG_KEYS.values() if not outputs.get(output)]
    if missing:
        raise ValueError(f"the stack's outputs lack {', '.join(missing)}")
    return {key: outputs[output] for key, output in CONFIG_KEYS.items()}


def hosting(outputs: dict[str, str]) -> tuple[str, str, str] | None:
    """(bucket, distribution id, URL) when the stack hosts the app, else None."""
    names = ("WebBucketName", "WebDistributionId", "WebUrl")
    present = [outputs.get(name) for name in names]
    if not any(present):
        return None
    if not all(present):
        raise ValueError(f"the stack's outputs name only part of the hosting: {names}")
    return present[0], present[1], present[2]


def upload_plan(dist: Path, config: dict[str, str]) -> list[tuple[bytes, str, str, str]]:
    """(body, key, content type, cache control) for every file of the build and config.json
    (made here, never written into the build: the local stack serves that folder with its
    own config), in upload order: hashed assets, the other files, index.html last."""
    files = {p.relative_to(dist).as_posix(): p.read_bytes() for p in dist.rglob("*") if p.is_file()}
    files["config.json"] = (json.dumps(config, indent=2) + "\n").encode()
    plan = []
    for key, body in files.items():
        suffix = Path(key).suffix.lower()
        content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"
        cache = IMMUTABLE if key.startswith("assets/") else REVALIDATE
        plan.append((body, key, content_type, cache))
    return sorted(plan, key=lambda item: (item[1] == "index.html", not item[1].startswith("assets/"), item[1]))


def samconfig_deploy_parameters(path: Path, env: str = "default") -> dict:
    """The stack name and region `sam deploy --guided` saved (deploy, else global section)."""
    if not path.is_file():
        return {}
    config = tomllib.loads(path.read_text()).get(env, {})
    found = {}
    for section in ("global", "deploy"):
        found.update(config.get(section, {}).get("parameters", {}))
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dist", type=Path)
    parser.add_argument("--samconfig", type=Path, default=Path("infra/samconfig.toml"))
    parser.add_argument("--stack-name")
    parser.add_argument("--region")
    parser.add_argument("--build", default="make --no-print-directory web-build")
    args = parser.parse_args(argv)

    saved = samconfig_deploy_parameters(args.samconfig)
    stack_name = args.stack_name or saved.get("stack_name")
    region = args.region or saved.get("region") or os.environ.get("AWS_REGION")
    if not stack_name:
        print(f"publish_web: no stack name (--stack-name, or {args.samconfig})", file=sys.stderr)
        return 2

    import boto3  # the deploy venv's (the SAM CLI's); imported here so tests need none

    session = boto3.session.Session(region_name=region)
    described = session.client("cloudformation").describe_stacks(StackName=stack_name)
    outputs = outputs_of(described)
    hosted = hosting(outputs)
    if hosted is None:
        print(f"Parley Web: not hosted by stack {stack_name} (WebHosting=false); nothing uploaded.")
        print("  To host it: sam deploy --parameter-overrides WebHosting=true (docs/deploy.md).")
        return 0
    bucket, distribution, url = hosted
    config = app_config(outputs)

    subprocess.run(shlex.split(args.build), check=True)
    s3 = session.client("s3")
    plan = upload_plan(args.dist, config)
    for body, key, content_type, cache in plan:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, CacheControl=cache)
    print(f"Parley Web: {len(plan)} files uploaded to s3://{bucket}")
    session.client("cloudfront").create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={
            "Paths": {"Quantity": len(INVALIDATED), "Items": INVALIDATED},
            "CallerReference": f"parley-{int(time.time())}",
        },
    )
    print(f"Parley Web: {url}  (CloudFront serves the new index.html within a few minutes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
