#!/usr/bin/env python3
"""The environment a function gets in the running local stack, as KEY=VALUE lines.

Usage: local_env.py FUNCTION [TEMPLATE] [STACK_FILE]

FUNCTION is the function's directory name under functions/ (connect, messages, ...), matched
to the template's AWS::Serverless::Function whose CodeUri ends in it. Its variables
(Globals.Function's, then its own) are resolved against `.devstack/stack.json`, which
`make dev` writes, with the same local overrides the devstack applies (JWKS_URL to moto,
MANAGEMENT_ENDPOINT to the gateway emulator, AWS_ENDPOINT_URL, and the function's own local
credentials `devstack-<LogicalId>`, by which the stack checks its requests against its role).
`make invoke-<function>` hands the result to `cargo lambda watch --env-file`.
"""

import json
import re
import sys

import yaml


class Loader(yaml.SafeLoader):
    pass


def _tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    name = suffix if suffix in ("Ref", "Condition") else "Fn::" + suffix
    return {name: value}


Loader.add_multi_constructor("!", _tagged)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    function = sys.argv[1]
    template_path = sys.argv[2] if len(sys.argv) > 2 else "infra/template.yaml"
    stack_path = sys.argv[3] if len(sys.argv) > 3 else ".devstack/stack.json"
    with open(template_path) as f:
        template = yaml.load(f, Loader=Loader)
    with open(stack_path) as f:
        stack = json.load(f)

    resources = template["Resources"]
    matches = [
        (logical_id, r)
        for logical_id, r in resources.items()
        if r.get("Type") == "AWS::Serverless::Function"
        and str(r.get("Properties", {}).get("CodeUri", "")).rstrip("/").split("/")[-1] == function
    ]
    if len(matches) != 1:
        sys.exit(f"no single function in {template_path} has a CodeUri ending in {function}")
    function_id, resource = matches[0]

    region = stack["region"]
    pool = stack["userPoolId"]
    names = {"AWS::Region": region, "AWS::AccountId": "000000000000", "AWS::StackName": "parley-local"}
    names.update(stack.get("tables", {}))
    names.update(stack.get("buckets", {}))
    names.update(stack.get("topics", {}))
    for logical_id, r in resources.items():
        kind = r.get("Type")
        if kind == "AWS::Cognito::UserPool":
            names[logical_id] = pool
        elif kind == "AWS::Cognito::UserPoolClient":
            names[logical_id] = stack["userPoolClientId"]
    params = {k: str(v.get("Default", "")) for k, v in (template.get("Parameters") or {}).items()}
    names.update(params)

    def resolve(value):
        if isinstance(value, dict) and "Ref" in value:
            return names[value["Ref"]]
        if isinstance(value, dict) and "Fn::Sub" in value:
            text = value["Fn::Sub"]
            return re.sub(r"\$\{([^}!]+)\}", lambda m: names[m.group(1).strip()], text)
        return str(value)

    variables = dict(
        ((template.get("Globals") or {}).get("Function") or {}).get("Environment", {}).get("Variables", {})
    )
    variables.update(resource.get("Properties", {}).get("Environment", {}).get("Variables", {}))
    env = {}
    for key, value in variables.items():
        if key == "JWKS_URL":
            env[key] = stack["jwksUrl"]
        elif key == "MANAGEMENT_ENDPOINT":
            env[key] = stack["managementEndpoint"]
        else:
            env[key] = resolve(value)
    env.update(
        AWS_ENDPOINT_URL=stack["awsEndpoint"],
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_ACCESS_KEY_ID=f"devstack-{function_id}",
        AWS_SECRET_ACCESS_KEY="devstack",
    )
    for key, value in env.items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main()
