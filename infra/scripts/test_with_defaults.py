"""Tests of with_defaults.py on the real template: `make template-checks` relies on it to
have checkov read the opt-in resources. Run by `make test` (make scripts-test)."""

import re
import unittest
from pathlib import Path

from with_defaults import with_defaults

TEMPLATE = (Path(__file__).parent / "../template.yaml").read_text()


def parameter_block(text: str, name: str) -> str:
    """The lines of one parameter's declaration."""
    return re.search(rf"^  {name}:\n((?:    .*\n|\n)*)", text, re.M).group(1)


class WithDefaults(unittest.TestCase):
    def test_only_the_named_parameters_default_line_changes(self):
        changed = with_defaults(TEMPLATE, {"WebHosting": "true"})
        differing = [(a, b) for a, b in zip(TEMPLATE.splitlines(), changed.splitlines(), strict=True) if a != b]
        self.assertEqual(differing, [('    Default: "false"', '    Default: "true"')])
        self.assertIn('    Default: "true"\n', parameter_block(changed, "WebHosting"))
        # AllowPasswordAuth, declared earlier with the same default line, is left alone.
        self.assertIn('    Default: "false"\n', parameter_block(changed, "AllowPasswordAuth"))

    def test_an_undeclared_parameter_is_an_error(self):
        with self.assertRaises(SystemExit):
            with_defaults(TEMPLATE, {"NoSuchParameter": "x"})


if __name__ == "__main__":
    unittest.main()
