"""Dependency audit that cannot pass having checked nothing.

1. Offline, always: every installed distribution against the vendored snapshot ``scripts/advisories.toml``
   (``packaging`` compares versions). Any affected version → exit 1.
2. Online, when an advisory service answers: ``pip-audit`` over the installed environment (PyPI's data).
   Any vulnerability → exit 1. When the service cannot be reached (or skips every package), the audit says
   "advisory database unreachable: not checked" — never "no known vulnerabilities" — and exits 3 unless
   ``--offline-ok`` is given (CI without network passes on the snapshot alone, and says so).

Usage: ``python scripts/audit.py [--offline-ok]`` (``make audit``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.version import Version

SNAPSHOT = Path(__file__).with_name("advisories.toml")
UNREACHABLE = "advisory database unreachable: not checked"


def installed() -> dict[str, str]:
    return {(d.metadata["Name"] or "").lower(): d.version for d in metadata.distributions() if d.metadata["Name"]}


def offline(versions: dict[str, str]) -> tuple[list[str], int, str]:
    """Affected packages per the snapshot; how many advisories apply to installed packages; snapshot date."""
    data = tomllib.loads(SNAPSHOT.read_text(encoding="utf-8"))
    found: list[str] = []
    applicable = 0
    for adv in data["advisory"]:
        have = versions.get(adv["package"].lower())
        if have is None:
            continue
        applicable += 1
        if Version(have) < Version(adv["fixed"]):
            found.append(f"{adv['package']} {have}: {adv['id']} ({adv['summary']}), fixed in {adv['fixed']}")
    return found, applicable, str(data["snapshot"])


def online() -> tuple[list[str] | None, str]:
    """pip-audit's findings, or None (with the reason) when nothing could actually be checked."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pip_audit", "--local", "--format", "json", "--progress-spinner", "off"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"pip-audit did not run: {exc}"
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"pip-audit failed: {last[:200]}"
    deps = report.get("dependencies", [])
    checked = [d for d in deps if "skip_reason" not in d]
    if not checked:
        return None, f"pip-audit could check none of {len(deps)} packages (the advisory service did not answer)"
    vulns = [f"{d['name']} {d['version']}: {v['id']} fixed in {', '.join(v.get('fix_versions') or ['?'])}"
             for d in checked for v in d.get("vulns", [])]  # fmt: skip
    skipped = len(deps) - len(checked)
    if skipped:
        vulns_note = f" ({skipped} of {len(deps)} packages could not be checked)"
        print(f"pip-audit: checked {len(checked)} packages{vulns_note}")
    return vulns, f"pip-audit checked {len(checked)} packages"


def main(argv: list[str]) -> int:
    offline_ok = "--offline-ok" in argv
    versions = installed()
    found, applicable, date = offline(versions)
    print(f"offline: {len(versions)} installed packages against the advisory snapshot of {date} "
          f"({applicable} advisories apply to installed packages): {len(found)} affected")  # fmt: skip
    for line in found:
        print(f"  VULNERABLE {line}")
    vulns, how = online()
    if vulns is None:
        print(f"online: {UNREACHABLE} ({how})")
    else:
        print(f"online: {how}: {len(vulns)} known vulnerabilities")
        for line in vulns:
            print(f"  VULNERABLE {line}")
    if found or vulns:
        return 1
    if vulns is None:
        return 0 if offline_ok else 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
