"""Install the optional ``pheval`` extra only when it leaves the installed packages alone.

PhEval (the benchmark harness, with the triage runner plugin) pulls in ~100 packages
(oaklib, linkml, polars, pyarrow, scikit-learn, ...). ``make setup`` calls this script
after installing the dev extras: it asks pip what installing the extra would do
(``pip install --dry-run --report``) and installs it only when no package that is
already installed would change version, so the dev environment the tests run in is never
up- or downgraded by it. Otherwise it prints the packages in the way and exits 0 (the
PhEval tests then skip, saying why).

Usage: python scripts/install_pheval.py [--force]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def requirements() -> list[str]:
    """The ``pheval`` extra of pyproject.toml (read without tomllib: Python 3.10 has none)."""
    text = (REPO / "pyproject.toml").read_text()
    m = re.search(r"^pheval = \[(.*?)^\]", text, re.S | re.M)
    if not m:
        raise SystemExit("install_pheval: no 'pheval' extra in pyproject.toml")
    return re.findall(r'"([^"]+)"', m.group(1))


def _canon(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def planned_changes(reqs: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """(new packages, changed packages) that installing ``reqs`` would bring."""
    with tempfile.TemporaryDirectory() as d:
        report = Path(d) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(report), *reqs]
        subprocess.run(cmd, check=True)
        plan = json.loads(report.read_text())
    installed = {_canon(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}
    new, changed = [], []
    for item in plan.get("install", []):
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        have = installed.get(_canon(name))
        if have is None:
            new.append((name, version))
        elif have != version:
            changed.append((name, have, version))
    return new, changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--force", action="store_true", help="install even when installed packages would change")
    args = ap.parse_args(argv)
    reqs = requirements()
    try:
        new, changed = planned_changes(reqs)
    except subprocess.CalledProcessError as exc:
        print(f"install_pheval: pip cannot resolve {' '.join(reqs)} here ({exc}); PhEval tests will skip",
              file=sys.stderr)
        return 0
    if changed and not args.force:
        print("install_pheval: not installing PhEval: it would change installed packages: "
              + ", ".join(f"{n} {a} -> {b}" for n, a, b in changed) + " (PhEval tests will skip; "
              "use --force or a separate venv)", file=sys.stderr)
        return 0
    if not new and not changed:
        print("install_pheval: PhEval already installed")
        return 0
    print(f"install_pheval: installing {' '.join(reqs)} ({len(new)} new packages, none of the installed changed)")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *reqs], check=True)
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    if check.returncode != 0:
        print("install_pheval: pip check reports:\n" + check.stdout, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
