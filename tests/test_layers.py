"""The apps' layering, as `make lint` checks it: every import-linter contract in pyproject.toml.

One test per contract, so a broken one names itself (and lint-imports' report says which import
chain broke it). The contracts are read from pyproject.toml, so a new contract is covered here too.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_the_contracts_cover_every_app() -> None:
    layers = next(contract for contract in CONTRACTS if contract["id"] == "apps")["layers"]
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert set(layers) == apps | {"config"}


@pytest.mark.parametrize("contract", [contract["id"] for contract in CONTRACTS])
def test_import_contract_is_kept(contract: str) -> None:
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--contract", contract],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
