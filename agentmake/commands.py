"""The options of the command line, what each does, and the argparse parser that takes them.

The CLI's help lists them (`agentmake [COMMAND] --help`: `command_help`) and `cli.parse` parses argv with
`parser()`. The commands' names live in `commandnames` (the graph needs them without argparse); they are
importable from here too.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

from agentmake import __version__
from agentmake.commandnames import COMMANDS as COMMANDS
from agentmake.commandnames import command_hint as command_hint
from agentmake.invocation import Invocation, command_line


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter, told its width: left to itself it imports shutil (2 ms of every run) for a
    terminal width that only --help needs. The width is found as `shutil.get_terminal_size` would: a
    positive COLUMNS, else the terminal of stdout, else 80; minus 2, as argparse takes it."""

    def __init__(self, prog: str) -> None:
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() and int(columns) > 0 else 0
        if not width:
            try:
                width = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
            except (AttributeError, ValueError, OSError):
                width = 0
        super().__init__(prog, width=(width or 80) - 2)


class _Parser(argparse.ArgumentParser):
    """argparse, telling where a word that looks like an option but names a target goes. `words`: the
    arguments being parsed (argparse's own message names the word differently from one Python to another:
    `-notes` is "-n with 'otes'" up to 3.12, "unrecognized -otes" in 3.13), so the word is found in them;
    `operands`, those after `--`, which are not parsed here but which a hint's command line repeats."""

    words: Sequence[str] = ()
    operands: Sequence[str] = ()  # the words after `--` (`cli.parse` parses those itself): kept in a hint

    def error(self, message: str) -> NoReturn:
        unknown = message.startswith("unrecognized arguments: ") or "ignored explicit argument" in message
        word = next((w for w in self.words if self._not_an_option(w)), "") if unknown else ""
        if word:
            message = self._target_taken_for_option(word)
        elif message.startswith("unrecognized arguments: "):
            message = self._misspelt_long(message)
        from agentmake.safetext import term_safe  # (a typed control character is shown escaped: `\x1b`)

        super().error(term_safe(message))

    def _misspelt_long(self, message: str) -> str:
        """`unrecognized arguments: --jsno` as `unknown option --jsno: did you mean --json?` when a long
        option is that close to it (a prefix, `--j`: every option it begins, `--jobs or --json`), else as
        `unknown option --zz (...--help lists the options)`; the message as argparse gave it when it names
        no long option. Several misspelt (`--jbos 2 --dryrun`), each with one match: all of them said, and
        the command line with every one corrected; else the first, as when it is alone."""
        from agentmake.errors import listed

        words = message.removeprefix("unrecognized arguments: ").split()
        unknown = list(dict.fromkeys(w.split("=", 1)[0] for w in words if w.startswith("--") and len(w) > 2))
        if not unknown:
            return message
        corrected = self._corrections(unknown) if len(unknown) > 1 else None
        if corrected is not None:
            meant, swaps = corrected
            said = f"unknown options {listed(unknown, 'and')}: did you mean {listed(meant, 'and')}?"
            return f"{said} (`{self._typed_again(swaps)}`)"
        word = unknown[0]
        near = self._near(word)
        if not near:
            command = next(iter(self._plain_words()[:1]), "")
            helper = f"agentmake {command} --help" if command in COMMANDS else "agentmake --help"
            return f"unknown option {word}: `{helper}` lists the options"
        from agentmake.errors import either

        said = f"unknown option {word}: did you mean {either(near, quote=False)}?"
        typed = self._typed(word)
        if len(near) > 1 or not typed:
            return said
        swaps = {t: (near[0] + t[len(word) :],) for t in typed}
        return f"{said} (`{self._typed_again(swaps)}`)"

    def _target_taken_for_option(self, word: str) -> str:
        """The message for `word`, a target taken for an option (`-x`), with the command line to type: the
        long options misspelt beside it (`-x --dryrun`, which argparse names with it or, stopping at `-notes`,
        not at all), each with one match, are corrected there too (`agentmake --dry-run -- -x`), not copied
        as typed; else those are named, with where the options are listed."""
        from agentmake.errors import listed

        values = self._option_values()
        unknown = list(
            dict.fromkeys(
                w.split("=", 1)[0]
                for at, w in enumerate(self.words)
                if at not in values and w.startswith("--") and len(w) > 2
                if w.split("=", 1)[0] not in self._option_string_actions
            )
        )
        corrected = self._corrections(unknown) if unknown else None
        where = "a target that starts with '-' goes after '--'"
        if corrected is None:
            said = f"unknown option {word} ({where}: {self._typed_again({word: ()}, word)})"
            if unknown:  # (copied, that command line fails on these: they are said)
                said += f"; unknown too: {listed(unknown, 'and')} (`agentmake --help` lists the options)"
            return said
        meant, swaps = corrected
        hint = self._typed_again({word: (), **swaps}, word)
        said = f"unknown options {listed([word, *unknown], 'and')}: did you mean {listed(meant, 'and')}?"
        return f"{said} ({where}: {hint})"

    def _corrections(self, unknown: Sequence[str]) -> tuple[list[str], dict[str, Sequence[str]]] | None:
        """For misspelt long options `unknown`, each with one match (`_near`) and found as typed in `words`
        (`--jbos=3` for `--jbos`): the options meant, and the words typed mapped to their corrected form
        (`_typed_again`'s swaps); None when any has no single match."""
        nears = [self._near(word) for word in unknown]
        typed = [self._typed(u) for u in unknown]
        if not all(len(n) == 1 for n in nears) or not all(typed):
            return None
        swaps: dict[str, Sequence[str]] = {
            t: (n[0] + t[len(u) :],) for u, n, each in zip(unknown, nears, typed, strict=True) for t in each
        }
        return [n[0] for n in nears], swaps

    def _typed(self, option: str) -> list[str]:
        """Every word the user typed for the misspelt long `option` (``--jbos=3`` for ``--jbos``; `--jbos=3
        --jbos 4`: both), each once; none if not typed so."""
        return list(dict.fromkeys(w for w in self.words if w == option or w.startswith(option + "=")))

    def _near(self, word: str) -> list[str]:
        """The long options a misspelt `word` may mean: those it begins, else those close to it."""
        from agentmake.errors import close_names

        longs = [o for o in self._option_string_actions if o.startswith("--")]
        # (spelt without their `--`, which every one shares: `--bogus` was "did you mean --verbose?")
        near = sorted(o for o in longs if o.startswith(word))
        return near or ["--" + o for o in close_names(word[2:], [o[2:] for o in longs])]

    def _typed_again(self, swaps: Mapping[str, Sequence[str]], target: str = "") -> str:
        """The command line as the user typed it, every word kept but those `swaps` names, each replaced (at
        every place) by its words, and `target` (a target taken for an option) after `--`, with the words
        that were after it: for a hint to copy (`agentmake -k --jbos 2` -> `agentmake -k --jobs 2`; `agentmake
        report -v -notes.md` -> `agentmake report -v -- -notes.md`). Its VAR=value words go last, as
        `command_line` says them (a secret's value left out)."""
        kept: list[str] = []
        assigned: list[str] = []
        values = self._option_values()  # (`-f a=b.af`: the Agentfile's name, no VAR=value to move)
        for at, word in enumerate(self.words):
            if word in swaps:  # (at every place: `--dryrun --dryrun` left one misspelt)
                kept += swaps[word]
            elif _is_assignment(word) and at not in values:
                assigned.append(word)
            else:
                kept.append(word)
        after = [w for w in self.operands if not _is_assignment(w)]
        after = [target, *after] if target else after
        assigned += [w for w in self.operands if _is_assignment(w)]
        overrides = dict(w.partition("=")[::2] for w in assigned)
        return command_line(
            *kept, *(["--", *after] if after else []), invocation=Invocation(".", None, overrides)
        )

    def _option_values(self) -> set[int]:
        """The positions in `words` of the words that are an option's value: after `-C`, `--file`, or a
        cluster of short options whose last takes the next word (`-kC DIR`; `-kj4` holds its own)."""
        values: set[int] = set()
        for at, word in enumerate(self.words):
            if at in values or not word.startswith("-") or word == "-":
                continue  # (a value, a target, a VAR=value: no value follows)
            action = self._option_string_actions.get(word)
            if action is not None:
                if action.nargs != 0:
                    values.add(at + 1)
                continue
            if word.startswith("--"):
                continue
            for i in range(1, len(word)):
                action = self._option_string_actions.get("-" + word[i])
                if action is None or action.nargs != 0:
                    if action is not None and i == len(word) - 1:
                        values.add(at + 1)
                    break
        return values

    def _not_an_option(self, word: str) -> bool:
        """A word with one leading '-' that is no option, nor a cluster of short options, the last of which
        may take the rest as its value (`-ks`, `-kj4`): `-notes` (-n is an option, -o none). A misspelt long
        option `--x` needs no such hint."""
        if (
            not word.startswith("-")
            or word.startswith("--")
            or word == "-"
            or word in self._option_string_actions
        ):
            return False
        for i in range(1, len(word)):
            action = self._option_string_actions.get("-" + word[i])
            if action is None:
                return True
            if action.nargs != 0:  # (it takes the rest of the word as its value: `-j4`)
                return False
        return False

    def typed_after_command(self) -> set[str]:
        """The options (their `dest`: `jobs`) typed after the first plain word, the command (`agentmake check
        -j 3`, `agentmake -kj4 status -s`: `silent` alone), each option of a cluster (`-ks`) too."""
        values = self._option_values()
        at = next((i for i, w in enumerate(self.words) if i not in values and not w.startswith("-")), None)
        typed: set[str] = set()
        for i, word in enumerate(self.words):
            if at is None or i <= at or i in values or not word.startswith("-") or word == "-":
                continue
            action = self._option_string_actions.get(word.split("=", 1)[0] if word.startswith("--") else word)
            if action is not None or word.startswith("--"):
                typed.update([action.dest] if action is not None else [])
                continue
            for char in word[1:]:  # (a cluster: `-ks`, `-kj4`, whose last takes the rest as its value)
                action = self._option_string_actions.get("-" + char)
                if action is None:
                    break
                typed.add(action.dest)
                if action.nargs != 0:
                    break
        return typed

    def _plain_words(self) -> list[str]:
        """`words` without the options and their values (`_option_values`: `-C DIR`, `-kC DIR`): the
        command, if one was given, comes first."""
        values = self._option_values()
        return [
            w for at, w in enumerate(self.words) if at not in values and (not w.startswith("-") or w == "-")
        ]


def _is_assignment(word: str) -> bool:
    """A VAR=value word (`cli._ASSIGN`), not an option's `--opt=value`."""
    name, eq, _ = word.partition("=")
    return bool(eq) and not word.startswith("-") and _is_name(name)


def _is_name(word: str) -> bool:
    """A variable's name, as a VAR=value word names it (`cli._ASSIGN`): ASCII letters, digits, `_` and
    `-`, not starting with a digit or `-`."""
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", word) is not None


_BUILDS = ("build", "report", "watch")
_VERBOSE_BUILD = (
    "stream what agents print ([task] lines) and show pending, waiting and up-to-date tasks one by one (in a"
    " pipe or CI log, without -v, one line counts those up to date); with -n, each reason in full"
)


@dataclass(frozen=True)
class _Option:
    """One option: its flags, the commands it serves (None: every command), so that `agentmake COMMAND
    --help` lists that command's own, its help, and a command's own help for it where it does something
    else there (`clean -n`)."""

    flags: tuple[str, ...]
    commands: tuple[str, ...] | None
    help: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    help_for: dict[str, str] = field(default_factory=dict)


def _count(word: str) -> int:
    """`-j`'s value: a whole number (`-j 4`); another word is said so, with an example."""
    try:
        return int(word)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number of tasks at once (-j 4), not {word!r}") from None


def _usd(word: str) -> float:
    """`--budget`'s value: an amount in US dollars (`--budget 0.50`), a number as the Agentfile's `budget`."""
    try:
        return float(word)
    except ValueError:
        raise argparse.ArgumentTypeError(f"an amount in US dollars (--budget 0.50), not {word!r}") from None


# what a command's own help says beyond its line in the list of commands
_MORE = {
    "clean": "Given TARGETs, only the outputs of the tasks they need, themselves included: what a build of"
    " them would make (a later build puts them back from the cache, calling no agent).",
}


_OPTIONS = (
    _Option(
        ("-f", "--file"),
        None,
        "the Agentfile (default: DIR/Agentfile)",
        {"dest": "agentfile", "metavar": "FILE"},
        {"init": "write the Agentfile at FILE, its prompt and note in FILE's directory"},
    ),
    _Option(("-C", "--directory"), None, "run in DIR", {"metavar": "DIR", "default": "."}),
    _Option(
        ("-j", "--jobs"),
        _BUILDS,
        "run at most N tasks at once (default: the Agentfile's `jobs`, else 4)",
        {"type": _count, "metavar": "N"},
    ),
    _Option(
        ("-k", "--keep-going"),
        _BUILDS,
        "keep building what does not need a failure; reports are written partial (with what they lack)",
        {"action": "store_true"},
    ),
    _Option(
        ("-n", "--dry-run"),
        ("build", "report", "clean"),
        "show what would run, run nothing",
        {"action": "store_true"},
        {
            "clean": "say what it would remove (and which agents a killed agentmake left running it would"
            " end); remove nothing, end nothing"
        },
    ),
    _Option(
        ("-B", "--always-make"),
        _BUILDS,
        "rebuild everything selected (watch: in its first build)",
        {"dest": "force", "action": "store_true"},
        {
            "build": "rebuild everything selected",
            "report": "rebuild everything selected",
            "watch": "rebuild everything selected in the first build",
        },
    ),
    _Option(
        ("-q", "--question"),
        ("build", "report"),
        "run nothing; exit 1 if anything is stale",
        {"action": "store_true"},
    ),
    _Option(
        ("-t", "--touch"),
        ("build",),
        "mark tasks up to date with their outputs in place, running nothing (make -t): a fresh checkout's"
        " committed outputs are recorded as built, not paid for again; a task with an output missing is"
        " not touched",
        {"action": "store_true"},
    ),
    _Option(
        ("-s", "--silent"),
        (*_BUILDS, "check"),
        "print only failures and the summary line",
        {"action": "store_true"},
        {"check": "print only errors and warnings, not the summary line"},
    ),
    _Option(
        ("-v", "--verbose"),
        (*_BUILDS, "list", "status"),
        "stream what agents print ([task] lines) and show pending, waiting and up-to-date tasks (list: every"
        " task)",
        {"action": "store_true"},
        {
            "build": _VERBOSE_BUILD,
            "report": _VERBOSE_BUILD,
            "watch": "stream what agents print ([task] lines), show pending, waiting and up-to-date tasks,"
            " and say when a change needs no rebuild",
            "list": "list every task of each agent (without -v: the first 10 of each)",
            "status": "list every task up to date (without -v: an agent's, when more than 10, as one line)",
        },
    ),
    _Option(
        ("--budget",),
        _BUILDS,
        "start no more LLM tasks once the build's recorded spend reaches USD",
        {"type": _usd, "metavar": "USD"},
    ),
    _Option(
        ("--wait",),
        (*_BUILDS, "clean"),
        "when another agentmake is using the project, wait (as long as it takes) for it to end instead of"
        " stopping (exit 2)",
        {"action": "store_true"},
        {"watch": "(a watch always waits for another agentmake to end)"},
    ),
    _Option(("--json",), ("status",), "status: machine-readable output", {"action": "store_true"}),
    _Option(
        ("--format",),
        ("graph",),
        "graph: output format, text (the default), dot (Graphviz) or mermaid",
        {"choices": ("text", "dot", "mermaid")},
    ),
    _Option(("--cache",), ("clean",), "clean: also empty the result cache", {"action": "store_true"}),
    _Option(("--leftovers",), ("clean",), "clean: only leftovers of tasks gone", {"action": "store_true"}),
)


def option_owners(dest: str) -> tuple[str, tuple[str, ...] | None]:
    """The option that stores `dest` (`jobs`): its short flag (`-j`), or its only one, and the commands it
    serves (None: every command), which `cli.parse` holds every other command to."""
    for option in _OPTIONS:
        if option.kwargs.get("dest", option.flags[-1].lstrip("-").replace("-", "_")) == dest:
            return option.flags[0], option.commands
    raise KeyError(dest)


# what each command takes after its name, for its usage line
_OPERANDS = {
    "build": "[TARGET...] [VAR=value...]",
    "report": "[NAME...] [VAR=value...]",
    "check": "[VAR=value...]",
    "list": "[VAR=value...]",
    "init": "",
    "status": "[TARGET...] [VAR=value...]",
    "graph": "[TARGET...] [VAR=value...]",
    "explain": "TARGET... [VAR=value...]",
    "clean": "[TARGET...] [VAR=value...]",
    "watch": "[TARGET...] [VAR=value...]",
}
# what a script can rely on (README's command reference says the same)
EXIT_STATUS = """exit status:
  0    the targets are built (or were up to date); status, explain, list, graph
       and -n exit 0 whatever they report (-q is the gate)
  1    a task failed (with -k too, partial reports or not), --budget left tasks
       not run, -q found something stale, or -t left a task not touched (an
       output or input missing)
  2    a usage or Agentfile error, a state that cannot be read or written, or
       another agentmake using the project with something to run (a build or
       a watch holds its lock; --wait waits for it instead)
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP): running agents were ended"""
_HELP = "show this help (after a command: that command's own) and exit"
_HELP_OF_COMMAND = "show this help and exit"


def parser(command: str | None = None, *, helping: bool = False) -> _Parser:
    """The parser of every command's options (`command` None), or one only to print `command`'s help:
    its usage, what it does and the options it takes. `helping`: its help is to be printed, so the
    epilog names where the Agentfile language is described (looked up on disk: not at every start)."""
    if command is None:
        epilog = "commands:\n" + "\n".join(f"  {name:<9} {text}" for name, text in COMMANDS.items())
        epilog += (
            "\n\n'--' ends the options: every word after it is a target or VAR=value"
            " (agentmake -- -notes.md).\n`agentmake COMMAND --help` tells that command's options."
        )
        if helping:
            from agentmake.safetext import term_safe
            from agentmake.starter import language_doc_named

            doc = language_doc_named()
            if doc is not None:  # (where the package is installed: a directory's name may hold anything)
                epilog += f"\nThe Agentfile language is described in {term_safe(doc)}"
        epilog += "\n\n" + EXIT_STATUS
        usage = "agentmake [options] [COMMAND] [TARGET...] [VAR=value...]"
        description = "make, rebuilt for AI agents: build the targets of an Agentfile."
    else:
        name = "[build]" if command == "build" else command  # (`agentmake TARGET` builds too)
        usage = f"agentmake {name} [options] {_OPERANDS[command]}".rstrip()
        description = " ".join(filter(None, (COMMANDS[command] + ".", _MORE.get(command))))
        epilog = "'--' ends the options: every word after it is a "
        if "TARGET" in _OPERANDS[command] or "NAME" in _OPERANDS[command]:
            epilog += (
                f"target or VAR=value (agentmake {'' if command == 'build' else command + ' '}-- -notes.md)."
            )
        else:  # (check, list: no targets)
            epilog += "VAR=value."
        if command == "init":
            epilog = ""
    with _titles_as_given():
        p = _Parser(
            prog="agentmake" if command is None else f"agentmake {command}",
            usage=usage,
            description=description,
            epilog=epilog,
            formatter_class=_HelpFormatter,
            add_help=False,
            allow_abbrev=False,  # (`clean --c` was `--cache`: the result cache emptied by a slip)
        )
        if command is None:
            p.add_argument(
                "words", nargs="*", metavar="TARGET", help="targets, VAR=value overrides, or a command first"
            )
        p.add_argument(
            "-h", "--help", action="store_true", help=_HELP if command is None else _HELP_OF_COMMAND
        )
        for option in _OPTIONS:
            if command is None:
                p.add_argument(*option.flags, help=option.help, **option.kwargs)
            elif option.commands is None or command in option.commands:
                # (its own help: no "clean: " before what --cache does)
                text = option.help_for.get(command, option.help.removeprefix(f"{command}: "))
                p.add_argument(*option.flags, help=text, **option.kwargs)
        if command is None:
            p.add_argument("--version", action="version", version=f"agentmake {__version__}")
    return p


@contextmanager
def _titles_as_given() -> Iterator[None]:
    """While argparse makes a parser: its two group titles ("positional arguments", "options") and, from
    Python 3.13, the --version action's default help taken as they are written where gettext has no catalog
    to look them up in (the directory it would search for the current domain does not exist: it would return
    them unchanged), without the lookup. Each lookup imports `locale` to normalise the language's name (its
    table of aliases: 5 M instructions, about a millisecond of every start, for words only --help prints).
    Where that directory exists, gettext looks them up as before (a catalog there translates them)."""
    import gettext

    translate = getattr(argparse, "_", None)
    if translate is not gettext.gettext or os.path.isdir(gettext.bindtextdomain(gettext.textdomain())):
        yield
        return
    setattr(argparse, "_", _as_given)  # noqa: B010  (argparse's private name for gettext.gettext)
    try:
        yield
    finally:
        setattr(argparse, "_", translate)  # noqa: B010


def _as_given(message: str) -> str:
    return message


def command_help(command: str | None) -> str:
    """The text `agentmake [COMMAND] --help` prints."""
    return parser(command, helping=True).format_help()
