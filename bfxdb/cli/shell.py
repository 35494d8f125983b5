"""The Cypher shell behind `bfxdb shell`: statements ended by ``;``, history, meta-commands and timing."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import bfxdb
from bfxdb import has_code, split_statements

from .output import INTERRUPTED, OUTPUT_FORMATS, CtrlC, error_text, summary, write_result

PROMPT = "bfxdb> "
#: The exit status of a piped session stopped by Ctrl-C, as shells report SIGINT (128 + 2).
EXIT_INTERRUPTED = 130
CONTINUATION = "   ...> "
#: Overrides where the history is kept; the default is a file in the user's home folder.
HISTORY_ENV = "BFXDB_HISTORY"
DEFAULT_HISTORY = "~/.bfxdb_history"
HISTORY_LENGTH = 1000

HELP = """\
Type Cypher statements ended by ';' (they may span lines). Commands start with ':':
  :help                  this text
  :schema                labels, relationship types, property keys and indexes
  :explain <query>       show the plan of a query without running it
  :param name=value      set $name for later statements (value read as JSON, else text)
  :params                list the parameters set
  :format table|json|csv|ndjson
                         how results are printed
  :quit                  leave (so does Ctrl-D)
Each statement runs in its own transaction; its row count and time follow it."""


def parse_parameter(text: str) -> tuple[str, object]:
    """Read ``name=value``; the value is JSON when it parses as JSON, otherwise the text itself.

    :raises ValueError: when there is no ``=`` or the name is empty.
    """
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("$")
    if not sep or not name:
        raise ValueError(f"expected name=value, not {text!r}")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


class Shell:
    """One shell session over an open database; `run` returns the exit status.

    Interactive sessions prompt, keep readline history and carry on after errors. Piped
    sessions print no prompts and stop at the first failing statement with status 1 (130
    when Ctrl-C stopped it), naming the statement's number and first line.
    """

    def __init__(
        self,
        db: bfxdb.Database,
        *,
        interactive: bool,
        output_format: str = "table",
        parameters: dict | None = None,
        out: IO[str] | None = None,
        err: IO[str] | None = None,
    ) -> None:
        self.db = db
        self.interactive = interactive
        self.output_format = output_format
        self.parameters = dict(parameters or {})
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.failed = False
        self.interrupted = False
        #: In a piped session: how many statements have started, and where the one running starts.
        self.statements = 0
        self.where = ""

    def run(self, read_line: Callable[[str], str] | None = None) -> int:
        """Read and run statements until end of input or ``:quit``.

        :param read_line: returns the next line given a prompt, raising EOFError at the end;
            defaults to readline's `input` when interactive and standard input otherwise.
        :returns: 0, or for a piped session 1 when it met an error, 130 when Ctrl-C stopped it.
        """
        history = self._load_history() if self.interactive and read_line is None else None
        read_line = read_line or (input if self.interactive else _read_stdin)
        if self.interactive:
            self._say(f"bfxdb shell on {self.db.path}; :help for help, :quit to leave.")
        buffer = ""
        lines = 0  # read so far
        buffer_line = 1  # the input line number of the buffer's first line
        try:
            while not (self.failed and not self.interactive):
                try:
                    line = read_line(CONTINUATION if has_code(buffer) else PROMPT)
                except EOFError:
                    break
                except KeyboardInterrupt:
                    buffer = ""
                    self._say("")
                    continue
                lines += 1
                if not has_code(buffer) and line.strip().startswith(":"):
                    if not self._command(line.strip()):
                        break
                    buffer, buffer_line = "", lines + 1  # nothing but blanks and comments was waiting
                    continue
                buffer += line + "\n"
                statements, rest = split_statements(buffer)
                for offset, statement in statements:
                    self._statement(statement, buffer_line + _line_of(buffer, offset, statement))
                    if self.failed and not self.interactive:
                        break
                buffer_line += buffer.count("\n") - rest.count("\n")
                buffer = rest
            if has_code(buffer) and not (self.failed and not self.interactive):
                self._statement(buffer.strip(), buffer_line + _line_of(buffer, 0, buffer.strip()))
        finally:
            if history is not None:
                history()
        if self.interactive:
            self._say("")
        if self.failed and not self.interactive:
            return EXIT_INTERRUPTED if self.interrupted else 1
        return 0

    def _statement(self, text: str, line: int) -> None:
        """Run one statement of the input, which starts on input line ``line``."""
        self.statements += 1
        first = text.splitlines()[0]
        self.where = f"statement {self.statements} (line {line}: {first})"
        try:
            self._execute(text)
        finally:
            self.where = ""

    def _execute(self, text: str, explain: bool = False) -> None:
        started = time.perf_counter()
        ctrl_c = CtrlC()
        try:
            with ctrl_c:
                result = self.db.query(("EXPLAIN " if explain else "") + text, self.parameters)
        except (bfxdb.BfxError, KeyboardInterrupt) as error:
            if ctrl_c.pressed or isinstance(error, KeyboardInterrupt):
                self.interrupted = True
                self._error(INTERRUPTED)
            else:
                self._error(error_text(error))
            return
        elapsed = time.perf_counter() - started
        if result.explained:
            self.out.write((result.plan or "no plan") + "\n")
            return
        count = write_result(result, self.output_format, self.out)
        self.out.flush()
        self.err.write(summary(count, result.stats, elapsed) + "\n")
        if result.profile is not None:
            self.err.write((result.plan or "") + "\n")

    def _command(self, line: str) -> bool:
        """Run a meta-command; returns False to leave the shell."""
        name, _, argument = line.partition(" ")
        name, argument = name.lower(), argument.strip()
        if name in (":quit", ":exit", ":q"):
            return False
        if name == ":help":
            self.out.write(HELP + "\n")
        elif name == ":schema":
            self._schema()
        elif name == ":explain":
            statement = argument.rstrip().rstrip(";")
            if statement.upper().startswith("EXPLAIN "):
                statement = statement[len("EXPLAIN ") :]
            if statement:
                self._execute(statement, explain=True)
            else:
                self._error(":explain needs a query")
        elif name == ":param":
            try:
                key, value = parse_parameter(argument)
            except ValueError as error:
                self._error(str(error))
            else:
                self.parameters[key] = value
        elif name == ":params":
            self.out.write(json.dumps(self.parameters, ensure_ascii=False, indent=2) + "\n")
        elif name == ":format":
            if argument in OUTPUT_FORMATS:
                self.output_format = argument
            else:
                self._error(f":format takes one of {', '.join(OUTPUT_FORMATS)}")
        else:
            self._error(f"unknown command {name}; :help lists the commands")
        return True

    def _schema(self) -> None:
        try:
            stats = bfxdb.graph_stats(self.db)
            keys = bfxdb.property_keys(self.db)
        except bfxdb.BfxError as error:
            self._error(error_text(error))
            return
        lines = [f"{stats.substrates} substrates, {stats.relationships} relationships"]
        lines.append("labels:")
        lines += [f"  :{label} ({count})" for label, count in stats.labels.items()] or ["  (none)"]
        lines.append("relationship types:")
        lines += [f"  :{rel_type} ({count})" for rel_type, count in stats.rel_types.items()] or ["  (none)"]
        lines.append("property keys: " + (", ".join(keys["substrates"]) or "(none)"))
        lines.append("relationship property keys: " + (", ".join(keys["relationships"]) or "(none)"))
        lines.append("indexes:")
        lines += [
            f"  {index['name']} on :{index['label']}({', '.join(json.loads(index['properties']))})"
            for index in stats.property_indexes
        ] or ["  (none)"]
        self.out.write("\n".join(lines) + "\n")

    def _error(self, message: str) -> None:
        self.failed = True
        if self.where and not self.interactive:
            message = f"{self.where}: {message}"
        self.err.write(f"Error: {message}\n")
        self.err.flush()

    def _say(self, message: str) -> None:
        self.err.write(message + "\n")

    def _load_history(self) -> Callable[[], None] | None:
        """Turn on readline with the history file; returns what saves it at the end."""
        try:
            import readline
        except ImportError:
            return None
        path = Path(os.environ.get(HISTORY_ENV) or DEFAULT_HISTORY).expanduser()
        with contextlib.suppress(OSError):  # no history yet
            readline.read_history_file(path)
        readline.set_history_length(HISTORY_LENGTH)

        def save() -> None:
            try:
                readline.write_history_file(path)
            except OSError as error:
                self._say(f"could not save the history to {path}: {error.strerror}")

        return save


def _line_of(buffer: str, offset: int, statement: str) -> int:
    """How many lines into ``buffer`` the statement found at ``offset`` begins (0 for the first)."""
    start = buffer.find(statement, offset)
    return buffer.count("\n", 0, max(start, offset))


def _read_stdin(prompt: str) -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")
