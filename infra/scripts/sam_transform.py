#!/usr/bin/env python3
"""Transform the SAM template into the CloudFormation that CloudFormation itself would deploy.

Why: cfn-lint and checkov read `infra/template.yaml` as written, with the SAM resources
(`AWS::Serverless::Function` and its `Events`, `Policies`, `Globals`) still folded up. What
CloudFormation receives is what aws-sam-translator makes of them: the functions' roles and
policies, the event source mapping with its `FilterCriteria`, the permissions. Linting that
output catches what only shows once SAM has expanded it, and proves that the template
transforms at all (an invalid SAM property fails here, not halfway through `sam deploy`).

The translator runs offline:

- local `CodeUri` paths (`../target/lambda/<function>/`) are refused by the translator, so
  each is replaced with an `s3://` address, as `sam package` would after uploading;
- the region comes from `--region`: the translator asks boto3's default session for one
  (for `AWS::Region` and the partition), and there may be no AWS configuration on the
  machine, so it is set as `AWS_DEFAULT_REGION` for this process;
- managed policies are never looked up by name: the functions' policies are inline
  statements, and a template that names one fails here instead of calling IAM.

Usage: sam_transform.py TEMPLATE OUTPUT.json [--region us-east-1]
"""

import argparse
import json
import os
import sys
from pathlib import Path

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.public.translator import ManagedPolicyLoader
from samtranslator.translator.arn_generator import ArnGenerator
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# Where `sam package` would have put the artifacts; never read, only validated as an S3 URI.
PACKAGED_ARTIFACTS = "s3://parley-packaged-artifacts"
SERVERLESS_FUNCTION = "AWS::Serverless::Function"


class NoManagedPolicyLookup(ManagedPolicyLoader):
    """Refuses to call IAM: the template must name no managed policy through SAM."""

    def __init__(self) -> None:  # no IAM client
        pass

    def load(self) -> dict:
        raise SystemExit(
            "the template names a managed policy through SAM's Policies; write inline "
            "statements (the project's rule) or give its ARN"
        )


def packaged(template: dict) -> dict:
    """Every local `CodeUri` of a function replaced with an `s3://` address."""
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") != SERVERLESS_FUNCTION:
            continue
        properties = resource.setdefault("Properties", {})
        code_uri = properties.get("CodeUri")
        if isinstance(code_uri, str) and not code_uri.startswith("s3://"):
            artifact = Path(code_uri.rstrip("/")).name or name
            properties["CodeUri"] = f"{PACKAGED_ARTIFACTS}/{artifact}.zip"
    return template


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()

    os.environ["AWS_DEFAULT_REGION"] = args.region
    ArnGenerator.BOTO_SESSION_REGION_NAME = args.region
    template = packaged(yaml_parse(args.template.read_text()))
    try:
        transformed = transform(
            template,
            {"AWS::Region": args.region},
            NoManagedPolicyLookup(),
        )
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(f"{args.template}: {cause.message}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(transformed, indent=2, sort_keys=False) + "\n")
    print(f"{args.template} → {args.output} ({len(transformed.get('Resources', {}))} resources)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
