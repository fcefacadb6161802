"""Print botsmith's dependencies pinned to their floors (`name>=X` becomes `name==X`), one a line.

`make test-min` installs these into .venv-min and runs the fast suite, so every floor in
pyproject.toml is a version the code was run with, not a guess.

    python .ci/floors.py [EXTRA ...]      # the core dependencies, plus the named extras (e.g. test)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

FLOOR = re.compile(r"^(?P<name>[A-Za-z0-9_.\-\[\]]+)\s*>=\s*(?P<version>[^,;\s]+)\s*(?P<marker>;.*)?$")


def pinned(requirement: str) -> str:
    """`name>=X[; marker]` as `name==X[; marker]`; a requirement without a floor is an error."""
    match = FLOOR.match(requirement.strip())
    if not match:
        sys.exit(f"pyproject.toml: {requirement!r} has no plain '>=' floor for make test-min to install")
    return f"{match['name']}=={match['version']}{match['marker'] or ''}"


def main(extras: list[str]) -> None:
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        if extra not in project["optional-dependencies"]:
            sys.exit(f"pyproject.toml has no extra {extra!r}")
        requirements += project["optional-dependencies"][extra]
    print("\n".join(pinned(requirement) for requirement in requirements))


if __name__ == "__main__":
    main(sys.argv[1:])
