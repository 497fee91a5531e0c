"""The CLI against database files that are missing, foreign, read-only or out of reach.

Tests run as root here, and root ignores file modes. To meet permission errors as the service
user would, the CLI runs with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped from its
capability bounding set (prctl in the child before exec): still uid 0, but bound by modes.
"""

from __future__ import annotations

import ctypes
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.test_cli import ROOT, create_database, entry_count, run_cli

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2
NOBODY = 65534


def as_ordinary_user() -> None:
    """In the child: make file modes apply even though the tests run as root."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_limited(
    *args: str, db: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m bot ARGS` bound by file modes."""
    return run_cli(*args, db=db, stdin=stdin, preexec_fn=as_ordinary_user)


def assert_one_clear_line(proc: subprocess.CompletedProcess[bytes], *needles: str) -> None:
    """The failure is explained in one line on stderr, naming each needle, and nothing else."""
    err = proc.stderr.decode()
    assert err.startswith("error: "), err
    assert err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err
    assert "Traceback" not in err
    assert "Event loop is closed" not in err


@pytest.mark.parametrize(
    "args", [("define", "kaggle"), ("export",), ("backup", "copy.db"), ("scan",)]
)
def test_reading_commands_refuse_a_missing_database(args: tuple[str, ...], tmp_path: Path) -> None:
    db = tmp_path / "typo.db"
    proc = run_cli(*args, db=db, stdin="", cwd=tmp_path)
    assert proc.returncode == 5
    assert_one_clear_line(proc, f"no glossary database at {db}", "GLOSSARY_DB")
    assert not db.exists()
    assert not (tmp_path / "copy.db").exists()


def test_import_creates_a_database_and_says_where(tmp_path: Path) -> None:
    db = tmp_path / "new" / "g.db"
    proc = run_cli("import", str(ROOT / "data" / "glossary.yaml"), db=db)
    assert proc.returncode == 0, proc.stderr
    assert f"Created a new glossary database at {db}".encode() in proc.stderr
    assert entry_count(db) > 20


def test_tilde_in_dotenv_means_home(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    (work / ".env").write_text("GLOSSARY_DB=~/g.db\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "GLOSSARY_"))}
    env.update(PYTHONPATH=str(ROOT), HOME=str(home))
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "import", str(ROOT / "data" / "glossary.yaml")],
        capture_output=True,
        env=env,
        cwd=work,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (home / "g.db").is_file()
    assert not (work / "~").exists()


def foreign_database(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.close()


def tableless_database(path: Path) -> None:
    create_database(path)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE entries")
    conn.close()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (Path.touch, "is an empty file, not a glossary database"),
        (foreign_database, "not a glossary database"),
        (tableless_database, "has lost its tables (entries)"),
    ],
    ids=["empty", "foreign", "tables-gone"],
)
@pytest.mark.parametrize("args", [("define", "kaggle"), ("import", "data/glossary.yaml")])
def test_a_file_that_is_not_our_database_is_refused_untouched(
    make: Callable[[Path], None], says: str, args: tuple[str, ...], tmp_path: Path
) -> None:
    db = tmp_path / "g.db"
    make(db)
    before = db.read_bytes()
    proc = run_cli(*args, db=db)
    assert proc.returncode == 5
    assert_one_clear_line(proc, str(db), says)
    assert db.read_bytes() == before
    # Reading a WAL file makes SQLite's empty -wal/-shm companions; nothing else may appear.
    assert {p.name for p in tmp_path.iterdir()} <= {"g.db", "g.db-wal", "g.db-shm"}


def test_a_corrupt_database_points_to_the_backups(tmp_path: Path) -> None:
    from tests.storage.test_open import corrupt_table

    db = tmp_path / "g.db"
    create_database(db)
    corrupt_table(db, "entries")
    proc = run_cli("export", db=db)
    assert proc.returncode == 5
    assert_one_clear_line(
        proc, "is corrupt", "restore a backup (README: Data, backups and restore)"
    )


def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    proc = run_cli("define", "kaggle", db=tmp_path)
    assert proc.returncode == 5
    assert_one_clear_line(proc, str(tmp_path), "is a directory, not a database file")


@pytest.mark.parametrize("args", [("define", "kaggle"), ("import", "data/glossary.yaml")])
def test_a_folder_owned_by_another_user_is_permission_denied(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    folder = tmp_path / "svc"
    folder.mkdir()
    create_database(folder / "g.db")
    os.chown(folder, NOBODY, NOBODY)
    folder.chmod(0o700)
    proc = run_limited(*args, db=folder / "g.db")
    assert proc.returncode == 5
    assert_one_clear_line(proc, str(folder / "g.db"), "permission denied")


def test_a_new_database_in_a_folder_we_cannot_write(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    proc = run_limited("import", "data/glossary.yaml", db=folder / "g.db")
    assert proc.returncode == 5
    assert_one_clear_line(proc, f"cannot create database {folder / 'g.db'}", "permission denied")


@pytest.fixture
def read_only_db(tmp_path: Path) -> Path:
    """Return a database file with mode 444 in a folder with mode 555 (a read-only copy)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "g.db"
    create_database(db)
    db.chmod(0o444)
    folder.chmod(0o555)
    return db


def test_reading_commands_work_on_a_read_only_database(read_only_db: Path, tmp_path: Path) -> None:
    before = read_only_db.read_bytes()
    define = run_limited("define", "--json", "kaggle", db=read_only_db)
    assert define.returncode == 0, define.stderr
    assert b'"key": "kaggle"' in define.stdout
    export = run_limited("export", db=read_only_db)
    assert export.returncode == 0, export.stderr
    assert b"key: kaggle" in export.stdout
    scan = run_limited("scan", db=read_only_db, stdin=b'"what is kaggle?"\n')
    assert scan.returncode == 0, scan.stderr
    assert scan.stdout == b"Kaggle\n"
    backup = run_limited("backup", str(tmp_path / "copy.db"), db=read_only_db)
    assert backup.returncode == 0, backup.stderr
    assert read_only_db.read_bytes() == before
    assert sorted(p.name for p in read_only_db.parent.iterdir()) == ["g.db"]
    # Checked last: this test process is root and its plain connection may add -wal/-shm.
    assert entry_count(tmp_path / "copy.db") == entry_count(read_only_db)


def test_import_into_a_read_only_database_is_refused(read_only_db: Path) -> None:
    proc = run_limited("import", "data/glossary.yaml", db=read_only_db)
    assert proc.returncode == 5
    assert_one_clear_line(proc, str(read_only_db), "permission denied")


def test_backup_names_an_unwritable_destination(db_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    proc = run_limited("backup", str(folder / "b.db"), db=db_file)
    assert proc.returncode == 2
    assert_one_clear_line(
        proc, f"cannot write the backup to {folder / 'b.db'}", "permission denied"
    )


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    db = tmp_path / "g.db"
    create_database(db)
    return db


def test_backup_keeps_an_unrelated_file(db_file: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me\n", encoding="utf-8")
    proc = run_cli("backup", str(notes), db=db_file)
    assert proc.returncode == 2
    assert_one_clear_line(proc, str(notes), "--force")
    assert notes.read_text(encoding="utf-8") == "keep me\n"
    forced = run_cli("backup", "--force", str(notes), db=db_file)
    assert forced.returncode == 0, forced.stderr
    assert entry_count(notes) == entry_count(db_file)


def test_backup_replaces_an_earlier_backup(db_file: Path, tmp_path: Path) -> None:
    dest = tmp_path / "nightly.db"
    assert run_cli("backup", str(dest), db=db_file).returncode == 0
    again = run_cli("backup", str(dest), db=db_file)
    assert again.returncode == 0, again.stderr
    assert entry_count(dest) == entry_count(db_file)


def test_backup_onto_the_database_itself_is_refused(db_file: Path) -> None:
    proc = run_cli("backup", str(db_file), db=db_file)
    assert proc.returncode == 2
    assert_one_clear_line(proc, str(db_file), "is the database itself")
