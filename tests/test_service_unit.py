"""The shipped systemd unit: valid for systemd, and consistent with the bot's exit codes."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

from bot import exitcodes

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "docs" / "glossary-bot.service"
INSTALL_DIR = "/opt/glossary-bot"


def service_section() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser["Service"]


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: lay out the install folder the unit names.
    install = tmp_path / "glossary-bot"
    (install / ".venv" / "bin").mkdir(parents=True)
    (install / ".venv" / "bin" / "python").symlink_to(sys.executable)
    (install / "data").mkdir()
    (install / ".env").write_text("", encoding="utf-8")
    unit = tmp_path / UNIT.name
    unit.write_text(
        UNIT.read_text(encoding="utf-8").replace(INSTALL_DIR, str(install)), encoding="utf-8"
    )
    proc = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # verify only warns (exit 0) about values it cannot parse: any output is a finding.
    assert proc.stderr == "", proc.stderr


def test_configuration_errors_are_not_restarted() -> None:
    service = service_section()
    assert service["Restart"] == "on-failure"
    prevented = {int(code) for code in service["RestartPreventExitStatus"].split()}
    assert prevented == {
        exitcodes.BAD_INPUT,
        exitcodes.CONFIG,
        exitcodes.DISCORD_REFUSED,
        exitcodes.DATABASE,
    }
    assert exitcodes.FAILURE not in prevented


def test_the_unit_runs_the_bot_from_its_install_folder() -> None:
    service = service_section()
    assert service["WorkingDirectory"] == INSTALL_DIR
    assert service["ExecStart"] == f"{INSTALL_DIR}/.venv/bin/python -m bot run"
    assert service["EnvironmentFile"] == f"{INSTALL_DIR}/.env"
    assert service["User"] == "glossary"
    # The README's .env puts the database in the one folder the sandbox lets the bot write.
    assert service["ReadWritePaths"] == f"{INSTALL_DIR}/data"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"GLOSSARY_DB={INSTALL_DIR}/data/glossary.db" in readme
    assert "RestartPreventExitStatus=2 3 4 5" in readme
