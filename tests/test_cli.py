"""The offline CLI contract, exercised through real subprocesses on real SQLite files."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import os
import pty
import select
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bot.services.glossary import GlossaryService

ROOT = Path(__file__).resolve().parents[1]


def run_cli(
    *args: str,
    db: Path,
    stdin: str | bytes | None = None,
    cwd: Path | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m bot ARGS` with GLOSSARY_DB set and no Discord token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env["GLOSSARY_DB"] = str(db)
    env["PYTHONPATH"] = str(ROOT)
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=data,
        capture_output=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=60,
        check=False,
        preexec_fn=preexec_fn,
    )


def entry_count(db: Path) -> int:
    """Return the number of live entries in a database file."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM entries WHERE deleted_at IS NULL").fetchone()[0]


def revision_count(db: Path) -> int:
    """Return the number of revisions in a database file."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM revisions").fetchone()[0]


def create_database(path: Path) -> None:
    """Create and seed a database file the way `run` does."""

    async def create() -> None:
        service = await GlossaryService.open(path)
        await service.close()

    asyncio.run(create())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "glossary.db"
    create_database(path)
    return path


def test_define_prints_the_entry(db: Path) -> None:
    proc = run_cli("define", "kaggle", db=db)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert "Kaggle" in out
    assert "30 hours" in out
    assert proc.stderr.decode().count("Traceback") == 0


def test_define_json_contract(db: Path) -> None:
    proc = run_cli("define", "--json", "kagle", db=db)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"query", "match", "suggestions"}
    assert data["query"] == "kagle"
    assert data["match"]["key"] == "kaggle"
    assert set(data["match"]) == {"key", "term", "score"}
    assert isinstance(data["match"]["score"], int | float)
    assert all(set(item) == {"key", "term", "score"} for item in data["suggestions"])


def test_define_json_no_match(db: Path) -> None:
    proc = run_cli("define", "--json", "pizza", db=db)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["match"] is None


def test_define_stdin_one_object_per_line_in_order(db: Path) -> None:
    queries = ["kaggle", "colab", "pizza", "", "what is hags?", "optimiser"]
    proc = run_cli("define", "--json", "-", db=db, stdin="\n".join(queries) + "\n")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [line["query"] for line in lines] == queries
    keys = [line["match"]["key"] if line["match"] else None for line in lines]
    assert keys == ["kaggle", "google-colab", None, None, "hags", "optim"]


def test_define_without_query_is_bad_usage(db: Path) -> None:
    proc = run_cli("define", "  ", db=db)
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr
    assert proc.stderr.strip()


def test_unknown_command_is_bad_usage(db: Path) -> None:
    proc = run_cli("frobnicate", db=db)
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr


def test_export_import_export_is_byte_identical(db: Path, tmp_path: Path) -> None:
    first = run_cli("export", db=db)
    assert first.returncode == 0, first.stderr
    path = tmp_path / "export.yaml"
    path.write_bytes(first.stdout)
    imported = run_cli("import", str(path), db=tmp_path / "other.db")
    assert imported.returncode == 0, imported.stderr
    second = run_cli("export", db=tmp_path / "other.db")
    assert second.stdout == first.stdout


def test_export_to_file(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    proc = run_cli("export", str(out), db=db)
    assert proc.returncode == 0, proc.stderr
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert len(data["entries"]) == 26


def test_import_dry_run_reports_and_changes_nothing(db: Path, tmp_path: Path) -> None:
    exported = yaml.safe_load(run_cli("export", db=db).stdout)
    before = revision_count(db)
    entries = [item for item in exported["entries"] if item["key"] != "fork"]
    entries[0]["summary"] = "A changed summary."
    new = copy.deepcopy(entries[1])
    new.update(key="new-term", term="New Term", aliases=[], related=[])
    entries.append(new)
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "entries": entries}), encoding="utf-8")
    proc = run_cli("import", str(path), "--dry-run", db=db)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert "1 would be added: new-term" in out
    assert f"1 would be changed: {entries[0]['key']}" in out
    assert "1 would be removed: fork" in out
    assert revision_count(db) == before
    assert entry_count(db) == 26


def test_import_applies_with_history(db: Path, tmp_path: Path) -> None:
    exported = yaml.safe_load(run_cli("export", db=db).stdout)
    exported["entries"] = [item for item in exported["entries"] if item["key"] != "fork"]
    path = tmp_path / "fewer.yaml"
    path.write_text(yaml.safe_dump(exported), encoding="utf-8")
    before = revision_count(db)
    proc = run_cli("import", str(path), "--yes", db=db)
    assert proc.returncode == 0, proc.stderr
    assert "1 was removed: fork" in proc.stdout.decode()
    assert entry_count(db) == 25
    assert revision_count(db) == before + 1
    assert json.loads(run_cli("define", "--json", "fork", db=db).stdout)["match"] is None


BAD_IMPORTS: dict[str, bytes] = {
    "invalid utf-8": b"version: 1\nentries:\n- key: x\xff\xfe\n",
    "yaml bomb": (
        b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    ),
    "syntax error": b"version: 1\nentries: [\n  - key: x\n",
    "not a mapping": b"- just\n- a list\n",
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(BAD_IMPORTS))
def test_bad_import_changes_nothing(name: str, db: Path, tmp_path: Path) -> None:
    run_cli("export", db=db)
    before = (entry_count(db), revision_count(db))
    path = tmp_path / "bad.yaml"
    path.write_bytes(BAD_IMPORTS[name])
    proc = run_cli("import", str(path), db=db)
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr
    assert proc.stderr.strip()
    assert (entry_count(db), revision_count(db)) == before


def test_import_lists_every_problem_with_its_key(db: Path, tmp_path: Path) -> None:
    exported = yaml.safe_load(run_cli("export", db=db).stdout)
    entries = exported["entries"]
    entries[0]["aliases"] = [*entries[0]["aliases"], entries[1]["term"]]  # duplicate name
    del entries[2]["summary"]  # missing field
    entries[3]["term"] = "x" * 10_000  # too long
    entries.append(copy.deepcopy(entries[4]))  # duplicate key
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(exported), encoding="utf-8")
    before = revision_count(db)
    proc = run_cli("import", str(path), db=db)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    for entry in (entries[0], entries[2], entries[3], entries[4]):
        assert entry["key"] in err
    assert revision_count(db) == before


def fewer_entries_file(db: Path, tmp_path: Path, *drop: str) -> Path:
    """Write the exported glossary without the entries `drop` and return the file."""
    exported = yaml.safe_load(run_cli("export", db=db).stdout)
    exported["entries"] = [item for item in exported["entries"] if item["key"] not in drop]
    path = tmp_path / "fewer.yaml"
    path.write_text(yaml.safe_dump(exported), encoding="utf-8")
    return path


def run_cli_on_terminal(*args: str, db: Path, answer: str) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI with a terminal as stdin and type `answer` into it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env.update(GLOSSARY_DB=str(db), PYTHONPATH=str(ROOT))
    controller, terminal = pty.openpty()
    try:
        os.write(controller, answer.encode() + b"\n")
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            stdin=terminal,
            capture_output=True,
            env=env,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)


def test_import_that_removes_entries_needs_yes_when_not_on_a_terminal(
    db: Path, tmp_path: Path
) -> None:
    path = fewer_entries_file(db, tmp_path, "fork", "kaggle")
    before = revision_count(db)
    proc = run_cli("import", str(path), db=db)
    assert proc.returncode == 2
    assert "2 would be removed: fork, kaggle" in proc.stdout.decode()
    err = proc.stderr.decode()
    assert "would remove 2 entries" in err and "--yes" in err
    assert "Traceback" not in err
    assert (entry_count(db), revision_count(db)) == (26, before)


@pytest.mark.parametrize(("answer", "code", "left"), [("n", 1, 26), ("y", 0, 25)])
def test_import_asks_on_a_terminal_before_removing(
    db: Path, tmp_path: Path, answer: str, code: int, left: int
) -> None:
    path = fewer_entries_file(db, tmp_path, "fork")
    proc = run_cli_on_terminal("import", str(path), db=db, answer=answer)
    assert proc.returncode == code, proc.stderr
    assert "Remove 1 entry?" in proc.stderr.decode()
    assert "1 would be removed: fork" in proc.stdout.decode()
    assert entry_count(db) == left


def test_import_without_removals_asks_nothing(db: Path, tmp_path: Path) -> None:
    exported = yaml.safe_load(run_cli("export", db=db).stdout)
    for item in exported["entries"][:2]:
        item["summary"] = "Changed."
    extra = copy.deepcopy(exported["entries"][0])
    extra.update(key="new-term", term="New Term", aliases=[], related=[])
    exported["entries"].append(extra)
    path = tmp_path / "more.yaml"
    path.write_text(yaml.safe_dump(exported), encoding="utf-8")
    proc = run_cli("import", str(path), db=db)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert "1 was added: new-term" in out
    assert "2 were changed: " in out
    assert "0 were removed" in out


def test_import_takes_a_file_bigger_than_a_discord_upload(db: Path, tmp_path: Path) -> None:
    exported = run_cli("export", db=db).stdout
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# padding\n" * 300_000 + exported)  # 3 MB
    proc = run_cli("import", str(path), "--dry-run", db=db)
    assert proc.returncode == 0, proc.stderr
    assert "26 unchanged" in proc.stdout.decode()


def test_a_single_import_problem_is_printed_once(db: Path, tmp_path: Path) -> None:
    exported = yaml.safe_load(run_cli("export", db=db).stdout)
    exported["entries"][0]["summary"] = ""
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(exported), encoding="utf-8")
    proc = run_cli("import", str(path), db=db)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.count("summary is empty") == 1, err
    assert len(err.splitlines()) == 1


def test_duplicate_key_leads_the_import_problems(db: Path, tmp_path: Path) -> None:
    exported = yaml.safe_load(run_cli("export", db=db).stdout)
    twin = copy.deepcopy(exported["entries"][4])
    twin["aliases"] = ["  "]
    exported["entries"].append(twin)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(exported), encoding="utf-8")
    proc = run_cli("import", str(path), db=db)
    assert proc.returncode == 2
    lines = proc.stderr.decode().splitlines()
    assert lines[0] == f"error: {path} was not imported: 2 problems"
    assert "duplicate key" in lines[1], lines


def test_yaml_error_at_the_end_points_inside_the_file(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "short.yaml"
    path.write_text("version: 1\nentries:\n  - key: a\n    term: [unclosed\n", encoding="utf-8")
    proc = run_cli("import", str(path), db=db)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "at the end of the file" in err and "line 4, column 11" in err
    assert "line 5" not in err


def test_import_missing_file(db: Path) -> None:
    proc = run_cli("import", "/nonexistent/file.yaml", db=db)
    assert proc.returncode == 2
    assert b"cannot read" in proc.stderr


def test_scan_json_contract(db: Path) -> None:
    messages = ["what is HAGS?", "I disabled HAGS and it fixed it", "line one\nwhat's colab?"]
    stdin = "".join(json.dumps(message) + "\n" for message in messages)
    proc = run_cli("scan", "--json", db=db, stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [line["message"] for line in lines] == messages
    assert [[t["key"] for t in line["triggers"]] for line in lines] == [
        ["hags"],
        [],
        ["google-colab"],
    ]
    assert all(set(t) == {"key", "term"} for line in lines for t in line["triggers"])


def test_scan_json_lines_are_what_json_dumps_writes(db: Path) -> None:
    # The answer lines are built from pieces; they must stay byte for byte json.dumps' text.
    messages = [
        'what is "HAGS"?',
        "back\\slash \\ what is hags",
        "café, what’s colab?",
        "tab\there\u2028line sep\x07 and kaggle",
        "😭 hags?",
        "",
    ]
    stdin = "".join(json.dumps(message) + "\n" for message in messages)
    proc = run_cli("scan", "--json", db=db, stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().removesuffix("\n").split("\n")  # not at U+2028
    keys = [[t["key"] for t in json.loads(line)["triggers"]] for line in lines]
    assert keys == [["hags"], ["hags"], ["google-colab"], [], ["hags"], []]
    for message, line in zip(messages, lines, strict=True):
        triggers = [{"key": t["key"], "term": t["term"]} for t in json.loads(line)["triggers"]]
        assert line == json.dumps({"message": message, "triggers": triggers}, ensure_ascii=False)


def test_scan_mention_mode(db: Path) -> None:
    proc = run_cli(
        "scan", "--json", "--mode", "mention", db=db, stdin=json.dumps("I disabled HAGS") + "\n"
    )
    assert [t["key"] for t in json.loads(proc.stdout)["triggers"]] == ["hags"]


def test_scan_answers_bad_lines_with_an_error_and_goes_on(db: Path) -> None:
    stdin = b'"what is hags?"\nnot json\n"\\ud800 what is hags"\n42\n\xff\n"whats colab"\n'
    proc = run_cli("scan", "--json", db=db, stdin=stdin)
    assert proc.returncode == 2
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [line.get("line") for line in lines] == [None, 2, 3, 4, 5, None]
    assert [t["key"] for t in lines[0]["triggers"]] == ["hags"]
    assert "JSON" in lines[1]["error"] and "surrogate" in lines[2]["error"]
    assert [t["key"] for t in lines[5]["triggers"]] == ["google-colab"]
    assert b"4 of 6" in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_scan_answers_each_line_while_stdin_stays_open(db: Path) -> None:
    run_cli("export", db=db)  # create the database first
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env.update(GLOSSARY_DB=str(db), PYTHONPATH=str(ROOT))
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "scan", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        for message, key in (("what is hags?", "hags"), ("whats colab", "google-colab")):
            proc.stdin.write(json.dumps(message).encode() + b"\n")
            proc.stdin.flush()
            # The answer must arrive while stdin is still open; 60 s only guards a hang.
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, "no answer while stdin stayed open"
            answer = json.loads(proc.stdout.readline())
            assert [t["key"] for t in answer["triggers"]] == [key]
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0


def test_backup_copies_the_database(db: Path, tmp_path: Path) -> None:
    run_cli("export", db=db)
    dest = tmp_path / "backup.db"
    proc = run_cli("backup", str(dest), db=db)
    assert proc.returncode == 0, proc.stderr
    assert entry_count(dest) == entry_count(db) == 26


def test_commands_need_no_token_and_read_the_default_db(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "GLOSSARY_"))}
    env["PYTHONPATH"] = str(ROOT)
    create_database(tmp_path / "glossary.db")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "define", "--json", "cuda"],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["match"]["key"] == "cuda"


def test_run_without_token_explains(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 3
    assert b"DISCORD_TOKEN" in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_invite_url_has_the_needed_permissions(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "invite", "--client-id", "1234"],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    url = proc.stdout.decode().strip()
    assert "client_id=1234" in url
    assert "applications.commands" in url
    assert "permissions=" in url


@pytest.mark.parametrize(
    "query",
    ["x" * 10_000, "kag\x01gle\x07", "\u202ekaggle\u202c", "\u200b\u200b", "```kaggle```", "🍕🍕"],
)
def test_hostile_queries_answer_without_crashing(query: str, db: Path) -> None:
    proc = run_cli("define", "--json", query, db=db)
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    data = json.loads(proc.stdout)
    assert data["query"] == query
    assert data["match"] is None or data["match"]["key"] == "kaggle"


def test_define_reports_a_database_it_cannot_open(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("this is not SQLite\n" * 100, encoding="utf-8")
    before = not_a_db.read_bytes()
    proc = run_cli("define", "kaggle", db=not_a_db)
    assert proc.returncode == 5
    assert b"Traceback" not in proc.stderr
    assert b"notes.txt" in proc.stderr
    assert not_a_db.read_bytes() == before


def run_invite(*args: str, token: str | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m bot invite ARGS` with the given DISCORD_TOKEN (or none)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env["PYTHONPATH"] = str(ROOT)
    if token is not None:
        env["DISCORD_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "bot", "invite", *args],
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("client_id", ["-5", "0", "abc", "12e3", "٣"])
def test_invite_refuses_a_client_id_that_is_not_an_application_id(client_id: str) -> None:
    proc = run_invite("--client-id", client_id)
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert b"is not an Application ID" in proc.stderr


def test_invite_reads_the_client_id_from_the_token() -> None:
    token = base64.b64encode(b"987654321").decode().rstrip("=") + ".abc.def"
    proc = run_invite(token=token)
    assert proc.returncode == 0, proc.stderr
    assert "client_id=987654321" in proc.stdout.decode()


@pytest.mark.parametrize("token", ["garbage", "not-base64!.x.y", base64.b64encode(b"-5").decode()])
def test_invite_says_what_is_wrong_with_an_unusable_token(token: str) -> None:
    proc = run_invite(token=token)
    assert proc.returncode == 3
    assert proc.stdout == b""
    assert b"DISCORD_TOKEN does not look like a bot token" in proc.stderr
    assert token.encode() not in proc.stderr
