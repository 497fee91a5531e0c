"""Command line: run the bot, or work on the glossary offline (define, scan, import, export)."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO, cast

from bot import exitcodes
from bot.config import DEFAULT_DB_PATH, ConfigError, Settings, load_dotenv_file, load_settings
from bot.glossary.matcher import Hit, LookupResult
from bot.glossary.models import Entry, GlossaryError, ValidationError
from bot.glossary.yamlio import MAX_CLI_DOCUMENT_BYTES
from bot.refusals import describe
from bot.services.glossary import CLI_ACTOR, GlossaryService, ImportPlan
from bot.storage.db import StoreError, is_glossary_database, os_cause
from bot.storage.migrations import MigrationError, SchemaTooNew
from bot.wording import counted, was

log = logging.getLogger(__name__)

EXIT_OK = exitcodes.OK
EXIT_FAILURE = exitcodes.FAILURE
EXIT_BAD_INPUT = exitcodes.BAD_INPUT
# Commands that only read: they open the database read-only and never create one.
READ_ONLY_COMMANDS = frozenset({"define", "scan", "export", "backup"})


class CliError(Exception):
    """A failure the CLI reports as one line on stderr with exit code 2."""


def _hit_json(hit: Hit) -> dict[str, Any]:
    return {"key": hit.entry.key, "term": hit.entry.term, "score": round(hit.score, 1)}


def result_json(result: LookupResult) -> dict[str, Any]:
    """Return the stable JSON form of a lookup result."""
    return {
        "query": result.query,
        "match": _hit_json(result.match) if result.match else None,
        "suggestions": [_hit_json(hit) for hit in result.suggestions],
    }


def _print_result(service: GlossaryService, result: LookupResult, out: TextIO) -> None:
    from bot.glossary.plaintext import entry_text

    if result.match is None:
        hint = ", ".join(hit.entry.term for hit in result.suggestions)
        out.write(
            f"No entry for {result.query!r}." + (f" Did you mean: {hint}?" if hint else "") + "\n"
        )
        return
    if result.match.kind != "exact":
        out.write(f"(showing {result.match.entry.term} for {result.query!r})\n")
    entry = result.match.entry
    related = {key: other.term for key in entry.related if (other := service.get(key))}
    out.write(entry_text(entry, related_terms=related).rstrip("\n") + "\n")


async def cmd_define(service: GlossaryService, args: argparse.Namespace, out: TextIO) -> int:
    """Print the entries matching the query, or one JSON object per stdin line."""
    if args.query == ["-"]:
        for line in sys.stdin:
            result = service.lookup(line.rstrip("\r\n"))
            if args.json:
                out.write(json.dumps(result_json(result), ensure_ascii=False) + "\n")
            else:
                _print_result(service, result, out)
        return EXIT_OK
    query = " ".join(args.query).strip()
    if not query:
        raise CliError("define needs a query, e.g. `python -m bot define kaggle`")
    result = service.lookup(query)
    if args.json:
        out.write(json.dumps(result_json(result), ensure_ascii=False) + "\n")
    else:
        _print_result(service, result, out)
    return EXIT_OK


_SCAN_CHUNK = 1 << 16


def _stdin_lines() -> Iterable[list[bytes]]:
    """Yield stdin's complete lines, a batch per read, so output is flushed where input paused."""
    stream = cast(io.BufferedReader, sys.stdin.buffer)
    pending = b""
    while chunk := stream.read1(_SCAN_CHUNK):
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        yield lines
    if pending:
        yield [pending]


_DECODER = json.JSONDecoder()


def _scan_message(raw: bytes) -> str:
    """Return the chat message a stdin line holds as a JSON string, or raise ValueError."""
    # The common line, a UTF-8 string and nothing after it, skips json.loads' encoding guess
    # (a second byte 0 would make it read UTF-16); anything else takes json.loads' path.
    if raw[:1] == b'"' and raw[1:2] != b"\x00":
        try:
            text = raw.decode("utf-8", "surrogatepass")
            message, end = _DECODER.raw_decode(text)
        except ValueError:
            pass  # json.loads below says what is wrong
        else:
            if end == len(text) and isinstance(message, str):
                return message
    try:
        message = json.loads(raw)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg})") from None
    if not isinstance(message, str):
        raise ValueError(f"expected a JSON string, got {type(message).__name__}")
    return message


# json.dumps(..., ensure_ascii=False) of one string, without building an encoder per call.
_json_string = json.JSONEncoder(ensure_ascii=False).encode


class _ScanAnswers:
    """The answer lines of `scan`, each entry's JSON built once per run."""

    def __init__(self, service: GlossaryService, args: argparse.Namespace) -> None:
        self._service = service
        self._mode = args.mode
        self._json = args.json
        self._triggers: dict[str, str] = {}

    def line(self, raw: bytes) -> str:
        """Return the answer line for one stdin line; raise ValueError for a bad line."""
        message = _scan_message(raw)
        triggers = self._service.scan(message, self._mode)
        if not self._json:
            return ", ".join(entry.term for entry in triggers) or "-"
        # The same text as json.dumps({"message": ..., "triggers": [...]}, ensure_ascii=False).
        found = ", ".join(self._trigger(entry) for entry in triggers)
        return f'{{"message": {_json_string(message)}, "triggers": [{found}]}}'

    def _trigger(self, entry: Entry) -> str:
        """Return one entry's trigger object as JSON."""
        found = self._triggers.get(entry.key)
        if found is None:
            found = json.dumps({"key": entry.key, "term": entry.term}, ensure_ascii=False)
            self._triggers[entry.key] = found
        return found

    def error(self, number: int, problem: str) -> str:
        """Return the answer line for a stdin line that could not be read."""
        if self._json:
            return json.dumps({"line": number, "error": problem})
        return f"error: line {number}: {problem}"


_SURROGATE = "the message holds a lone surrogate, which is not valid Unicode"


def _encodable(answers: list[str], numbers: list[int], scan: _ScanAnswers) -> int:
    """Replace the answers that UTF-8 cannot encode by errors; return how many there were."""
    try:
        "\n".join(answers).encode("utf-8")
    except UnicodeEncodeError:
        # Rare (a lone surrogate escaped in the JSON): find the lines one by one.
        bad = 0
        for index, answer in enumerate(answers):
            try:
                answer.encode("utf-8")
            except UnicodeEncodeError:
                answers[index] = scan.error(numbers[index], _SURROGATE)
                bad += 1
        return bad
    return 0


async def cmd_scan(service: GlossaryService, args: argparse.Namespace, out: TextIO) -> int:
    """Print which entries each stdin message (one JSON string per line) would trigger.

    A bad line gets an error in its place (`{"line", "error"}` with --json) and the next
    lines are still answered; the exit code is then 2.
    """
    scan = _ScanAnswers(service, args)
    number = bad = 0
    for batch in _stdin_lines():
        answers: list[str] = []
        numbers: list[int] = []
        for raw in batch:
            number += 1
            if not raw or raw.isspace():
                continue
            try:
                answers.append(scan.line(raw))
            except ValueError as exc:
                bad += 1
                answers.append(scan.error(number, str(exc)))
            numbers.append(number)
        if answers:
            bad += _encodable(answers, numbers, scan)
            out.write("\n".join(answers) + "\n")
        # Once per read, not per line: a million piped messages are not a million writes.
        out.flush()
    if bad:
        _report(f"{bad} of {number} stdin lines could not be read; see the errors in the output")
        return EXIT_BAD_INPUT
    return EXIT_OK


def _read_document(path: str) -> bytes:
    """Return the bytes of an import file (or stdin), refusing one over the CLI limit."""
    limit = MAX_CLI_DOCUMENT_BYTES
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(limit + 1)
        else:
            size = Path(path).stat().st_size
            if size > limit:
                raise CliError(f"{path} is {size:,} bytes; the limit is {limit // 2**20} MB")
            raw = Path(path).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > limit:
        raise CliError(f"stdin holds more than the limit of {limit // 2**20} MB")
    return raw


class _ProgressLine:
    """A one-line progress display on a terminal: entries parsed, validated, written."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._total = 0

    def __call__(self, stage: str, count: int) -> None:
        """Show how far a stage got; called from the parsing thread, too."""
        if stage == "parsed":
            self._total = count
        shown = f"{count:,}" if stage == "parsed" else f"{count:,}/{self._total:,}"
        if stage == "writing":
            shown = f"{self._total:,}"
        self._stream.write(f"\r\x1b[K{stage} {shown} entries")
        self._stream.flush()

    def done(self) -> None:
        """Clear the line so the summary starts on a clean one."""
        self._stream.write("\r\x1b[K")
        self._stream.flush()


KEYS_SHOWN = 50


def _plan_text(plan: ImportPlan, *, dry_run: bool) -> str:
    """Return an import plan as lines: what is (or would be) added, changed and removed."""
    lines = []
    for label, keys in (
        ("added", plan.added),
        ("changed", plan.changed),
        ("removed", plan.removed),
    ):
        shown = ", ".join(keys[:KEYS_SHOWN])
        if len(keys) > KEYS_SHOWN:
            shown += f", and {len(keys) - KEYS_SHOWN:,} more"
        lines.append(f"{len(keys):,} {was(len(keys), dry_run=dry_run)} {label}")
        lines[-1] += f": {shown}" if keys else ""
    lines.append(f"{len(plan.unchanged):,} unchanged")
    return "\n".join(lines) + "\n"


def _confirm_removal(plan: ImportPlan, args: argparse.Namespace) -> bool:
    """Ask on a terminal whether to remove entries; without one, insist on --yes."""
    removing = counted(len(plan.removed), "entry", "entries")
    if args.file == "-" or not sys.stdin.isatty():
        raise CliError(
            f"this import would remove {removing} (listed above); nothing was imported. "
            "Run it again with --yes to confirm, or fix the file"
        )
    sys.stderr.write(f"Remove {removing}? They can be restored later. [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _import_problems(path: str, error: ValidationError) -> str:
    """Return a refused import's problems: the cause first, each problem once."""
    message, problems = describe(error)
    problems = problems or [message]
    if len(problems) == 1:
        return f"error: {path} was not imported: {problems[0]}\n"
    listed = "".join(f"  - {problem}\n" for problem in problems)
    return f"error: {path} was not imported: {counted(len(problems), 'problem')}\n{listed}"


async def cmd_import(service: GlossaryService, args: argparse.Namespace, out: TextIO) -> int:
    """Validate a YAML glossary and make the store equal to it (or show what would change)."""
    raw = _read_document(args.file)
    progress = _ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        plan = await service.plan_import(raw, max_bytes=MAX_CLI_DOCUMENT_BYTES, progress=progress)
    except ValidationError as error:
        if progress:
            progress.done()
        sys.stderr.write(_import_problems(args.file, error))
        return EXIT_BAD_INPUT
    if progress:
        progress.done()
    for warning in plan.warnings[:KEYS_SHOWN]:
        sys.stderr.write(f"warning: {warning}\n")
    if len(plan.warnings) > KEYS_SHOWN:
        sys.stderr.write(f"warning: and {len(plan.warnings) - KEYS_SHOWN:,} more like these\n")
    if args.dry_run:
        out.write(_plan_text(plan, dry_run=True))
        return EXIT_OK
    if plan.removed and not args.yes:
        out.write(_plan_text(plan, dry_run=True))
        out.flush()
        if not _confirm_removal(plan, args):
            sys.stderr.write("Nothing was imported.\n")
            return EXIT_FAILURE
    if progress:
        progress("writing", 0)
    applied = await service.apply_import(plan, CLI_ACTOR)
    if progress:
        progress.done()
    out.write(_plan_text(applied, dry_run=False))
    return EXIT_OK


async def cmd_export(service: GlossaryService, args: argparse.Namespace, out: TextIO) -> int:
    """Write the glossary as YAML to a file or stdout."""
    text = service.export()
    if args.file in (None, "-"):
        out.write(text)
        return EXIT_OK
    try:
        Path(args.file).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {args.file}: {exc.strerror}") from None
    return EXIT_OK


async def cmd_backup(service: GlossaryService, args: argparse.Namespace, out: TextIO) -> int:
    """Copy the live database to a file with SQLite's online backup."""
    dest = Path(args.file)
    if dest.exists() and dest.resolve() == Path(service.repo.path).resolve():
        raise CliError(f"backup destination {dest} is the database itself; name another file")
    if dest.is_dir():
        raise CliError(f"backup destination {dest} is a directory; name a file in it")
    if dest.exists() and not args.force and not is_glossary_database(dest):
        raise CliError(
            f"backup destination {dest} exists and is not a glossary backup; choose another "
            "name, or pass --force to replace it"
        )
    try:
        await service.repo.backup(dest)
    except OSError as exc:
        raise CliError(f"cannot write the backup to {dest}: {os_cause(exc)}") from None
    except sqlite3.Error as exc:
        raise CliError(f"cannot write the backup to {dest}: {exc}") from None
    out.write(f"Backed up {len(service.entries)} entries to {dest}\n")
    return EXIT_OK


Handler = Callable[[GlossaryService, argparse.Namespace, TextIO], Coroutine[Any, Any, int]]


async def _with_service(settings: Settings, handler: Handler, args: argparse.Namespace) -> int:
    read_only = args.command in READ_ONLY_COMMANDS
    service = await GlossaryService.open(
        settings.db_path, create=not read_only, read_only=read_only
    )
    try:
        return await handler(service, args, sys.stdout)
    finally:
        await service.close()


def _application_id(raw: str) -> int:
    """Parse --client-id: a Discord snowflake, a positive number."""
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**64:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not an Application ID (a positive number from the Developer Portal)"
        )
    return int(raw)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="start the Discord bot (the default)")
    define = sub.add_parser("define", help="look up a term")
    define.add_argument("--json", action="store_true", help="print one JSON object per query")
    define.add_argument("query", nargs="+", help="the query, or - to read one query per stdin line")
    define.set_defaults(handler=cmd_define)
    scan = sub.add_parser(
        "scan", help="show which chat messages (JSON strings on stdin) trigger replies"
    )
    scan.add_argument("--json", action="store_true")
    scan.add_argument("--mode", choices=("question", "mention", "off"), default="question")
    scan.set_defaults(handler=cmd_scan)
    imp = sub.add_parser("import", help="replace the glossary with a YAML file")
    imp.add_argument("file", help="a YAML file in the data/glossary.yaml format, or - for stdin")
    imp.add_argument("--dry-run", action="store_true", help="only print what would change")
    imp.add_argument(
        "--yes", action="store_true", help="remove entries missing from the file without asking"
    )
    imp.set_defaults(handler=cmd_import)
    exp = sub.add_parser("export", help="write the glossary as YAML")
    exp.add_argument("file", nargs="?", help="output file (stdout when omitted)")
    exp.set_defaults(handler=cmd_export)
    backup = sub.add_parser("backup", help="copy the database safely while the bot runs")
    backup.add_argument("file")
    backup.add_argument(
        "--force", action="store_true", help="replace DEST even if it is not an earlier backup"
    )
    backup.set_defaults(handler=cmd_backup)
    invite = sub.add_parser("invite", help="print the URL that adds the bot to a server")
    invite.add_argument(
        "--client-id",
        type=_application_id,
        help="the application id (read from the token if omitted)",
    )
    return parser


def _report(problem: str, details: Sequence[str] = ()) -> None:
    sys.stderr.write(f"error: {problem}\n")
    for line in details:
        sys.stderr.write(f"  - {line}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    args = build_parser().parse_args(argv)
    command = args.command or "run"
    load_dotenv_file()
    try:
        settings = load_settings()
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        if command == "run":
            from bot.runner import run_bot

            return run_bot(settings)
        if command == "invite":
            from bot.runner import invite_url

            print(invite_url(settings, args.client_id))
            return EXIT_OK
        return asyncio.run(_with_service(settings, args.handler, args))
    except CliError as exc:
        _report(str(exc))
        return exitcodes.BAD_INPUT
    except ConfigError as exc:
        _report(str(exc))
        return exitcodes.CONFIG
    except (StoreError, SchemaTooNew, MigrationError) as exc:
        _report(exc.message, exc.problems)
        return exitcodes.DATABASE
    except GlossaryError as exc:
        _report(*describe(exc))
        return exitcodes.BAD_INPUT
    except BrokenPipeError:
        # The reader of our stdout went away (e.g. `| head`); that is not an error.
        return EXIT_OK
    except (OSError, sqlite3.Error) as exc:
        # The database cannot be written now (busy, full disk): it may pass, so exit 1.
        where = os.path.expanduser(os.environ.get("GLOSSARY_DB") or DEFAULT_DB_PATH)
        _report(f"database {where}: {exc}")
        return exitcodes.FAILURE
    except KeyboardInterrupt:
        return exitcodes.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
