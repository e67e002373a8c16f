"""Layout rules that keep a service in one place: only the targets know which target they are."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "observability_stack"


def test_only_the_targets_branch_on_the_target():
    found = []
    for folder in ("components", "configs"):
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            if path.is_relative_to(PACKAGE / "components" / "targets"):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"\btarget\s*[!=]=", line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "branch on the target inside components/targets or through Topology:\n" + "\n".join(found)
