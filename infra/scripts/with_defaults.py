#!/usr/bin/env python3
"""Copy the template with some parameters' defaults changed: `make template-checks` runs
checkov on the template as a deployer who opted in would deploy it.

Why: checkov evaluates each resource's `Condition` from the parameters' defaults and leaves
out what it finds false, so an opt-in part of the template (e.g. `WebHosting`, default
"false") would never be checked. cfn-lint checks every branch already and needs no copy.

The change is textual (the `Default:` line inside the parameter's block), so the copy keeps
the short-form tags (`!Sub`, `!If`) exactly as written. A parameter that is not declared, or
that has no `Default:` line, is an error: the check must not pass on an unchanged copy.

Usage: with_defaults.py TEMPLATE OUTPUT NAME=VALUE [NAME=VALUE ...]
"""

import re
import sys
from pathlib import Path


def with_defaults(text: str, defaults: dict[str, str]) -> str:
    lines = text.splitlines(keepends=True)
    for name, value in defaults.items():
        try:
            start = lines.index(f"  {name}:\n", lines.index("Parameters:\n"))
        except ValueError:
            raise SystemExit(f"with_defaults: the template declares no parameter {name}")
        for i in range(start + 1, len(lines)):
            if re.match(r"\S|  \S", lines[i]):
                raise SystemExit(f"with_defaults: parameter {name} has no Default line")
            if lines[i].startswith("    Default:"):
                lines[i] = f'    Default: "{value}"\n'
                break
        else:
            raise SystemExit(f"with_defaults: parameter {name} has no Default line")
    return "".join(lines)


def main(argv: list[str]) -> None:
    if len(argv) < 4 or not all("=" in a for a in argv[3:]):
        raise SystemExit(__doc__.strip().splitlines()[-1])
    defaults = dict(a.split("=", 1) for a in argv[3:])
    text = with_defaults(Path(argv[1]).read_text(), defaults)
    Path(argv[2]).write_text(text)
    print(f"{argv[1]} → {argv[2]} ({', '.join(f'{k}={v}' for k, v in defaults.items())})")


if __name__ == "__main__":
    main(sys.argv)
