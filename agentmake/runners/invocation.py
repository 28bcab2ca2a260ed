"""Turn a task into an invocation: argv, stdin, environment and working directory, per runner preset.

The prompt always travels on stdin (never in argv: one argument is capped at 128 KiB, and argv is visible to
every user of the machine), or, for aider, which reads no stdin, in an owner-only file whose path is in argv.
The environment is a minimal base plus the preset's credential variables plus the runner's declared `env`
names; agentmake never logs their values, and takes those of the secret-looking ones out of whatever it keeps
or shows of an agent's output (`redact`). Each task gets its own config directory under `.agentmake/home/<safe
task id>/` (owner-only, no symbolic link on the way) so parallel agents do not corrupt shared state: claude
`CLAUDE_CONFIG_DIR` (+ `settings.json` copied, `.credentials.json` lent for the attempt: `credentials`), codex
`CODEX_HOME` (+ `config.toml` copied, `auth.json` lent), llm `-d <logs.db>`, aider its chat and input history
files (`--chat-history-file`, `--input-history-file`: by default `.aider.chat.history.md` and
`.aider.input.history` in the project, which parallel tasks would write at once, and which an agent's next
build would see) and, since aider reads no stdin, the prompt: a file of its own there (`--message-file`,
owner-only, removed with the job directory when the attempt ends: `credentials.remove_job`).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from agentmake.model import RunnerSpec
from agentmake.runners.argvflags import codex_overrides, codex_profile
from agentmake.runners.argvflags import flag_values as _values
from agentmake.runners.argvflags import has_flag as _has
from agentmake.runners.credentials import LOGINS, lend
from agentmake.runners.presets import AUTH_ENV, CLIENT, url_problem
from agentmake.runners.writesettings import (
    CLAUDE_WRITING_TOOLS,
    CODEX_WRITING_SANDBOXES,
    GEMINI_WRITING_MODES,
)

AIDER_MESSAGE = "message.md"  # aider's prompt file, in its job directory (`home/<task>/aider/`)
CLAUDE_RETRIES = "2"  # CLAUDE_CODE_MAX_RETRIES unless the environment sets it (claude's default: 10)
BASE_ENV = (
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TMPDIR", "TZ", "LANG", "LANGUAGE",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS",
)  # fmt: skip


@dataclass
class Invocation:
    """How one attempt's agent is started: argv, standard input, environment."""

    argv: list[str]
    stdin: bytes | None
    env: dict[str, str] | None  # None: the child inherits agentmake's environment as it is
    cwd: Path
    fallback: list[str] | None = None  # the `sh -c` form, if `argv` execs a simple command directly
    executable: str | None = None  # argv[0] resolved on PATH, when known


class InvocationError(Exception):
    """The task cannot be turned into a command (e.g. ollama without a model)."""


def safe_name(task_id: str) -> str:
    """A file-name-safe form of a task id; a short hash keeps distinct ids distinct (``a:b`` vs ``a_b``)."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", task_id).strip("._") or "task"
    if clean != task_id:
        import hashlib  # (here: importing it costs milliseconds at every start)

        clean = f"{clean[:80]}-{hashlib.sha1(task_id.encode()).hexdigest()[:8]}"
    return clean


def base_env(environ: Mapping[str, str]) -> dict[str, str]:
    """PATH, HOME, locale and friends: what any CLI needs to start."""
    env = {k: v for k, v in environ.items() if k in BASE_ENV or k.startswith("LC_")}
    env.setdefault("PATH", os.defpath)
    return env


def _words_after(argv: list[str], *flags: str) -> list[str]:
    """The words after the first of `flags` (a variadic flag's values) in `argv`, up to the next flag."""
    found = []
    for i, a in enumerate(argv):
        if a in flags:
            for word in argv[i + 2 :]:
                if word.startswith("-"):
                    break
                found.append(word)
    return found


def codex_sandbox(argv: list[str]) -> str | None:
    """The sandbox mode codex's flag chooses over every layer of its configuration, the ``--profile`` file
    and the ``-c`` overrides included (``-s``/``--sandbox``), None when none does or they disagree. (A
    ``-c sandbox_mode=...`` is the highest of those layers: `modelconfig.config_reading` reads it with them,
    `authsettings.codex_layers`.)"""
    modes = set(_values(argv, "-s", "--sandbox"))
    return modes.pop() if len(modes) == 1 else None


def codex_sandbox_added(argv: list[str]) -> list[str]:
    """The sandbox flag agentmake adds to codex's command `argv` for an agent of several outputs (it must
    write them): ``-s workspace-write`` when the command chooses no sandbox; none when it chooses one by
    ``-s``/``--sandbox`` or ``--dangerously-bypass-approvals-and-sandbox``, or a read-only one by a
    top-level ``-c sandbox_mode=...`` (the user's explicit choice is kept, and warned of when the Agentfile
    loads: `unwritable.unwritable_outputs`); and ``-s`` with the mode a writing ``-c`` override
    chooses (its last, as codex applies them in order), which says it as the flag that beats every layer of
    codex's configuration (codex 0.134 and later take the ``-c`` override over the ``--profile`` file too;
    the legacy ``[profiles.NAME]`` table that beat it before is read no more); its own mode keeps a
    ``danger-full-access`` as chosen."""
    if _has(argv, "-s", "--sandbox", "--dangerously-bypass-approvals-and-sandbox"):
        return []
    modes = codex_overrides(argv, "sandbox_mode")
    if not modes:
        return ["-s", "workspace-write"]
    return ["-s", modes[-1]] if modes[-1] in CODEX_WRITING_SANDBOXES else []


def codex_read_only(argv: list[str]) -> str | None:
    """The flag by which codex's command `argv` chooses the read-only sandbox explicitly (``-s read-only``,
    or a top-level ``-c sandbox_mode="read-only"``, the last of them, when no ``-s`` is given), as written;
    None otherwise, and None beside ``--dangerously-bypass-approvals-and-sandbox`` or ``--full-auto``, which
    codex exec takes over ``-s`` (danger-full-access, workspace-write), or refuses to start with (unpaid)."""
    if _has(argv, "--dangerously-bypass-approvals-and-sandbox", "--full-auto"):
        return None
    sandbox = codex_sandbox(argv)
    if sandbox is not None or _has(argv, "-s", "--sandbox"):
        return "-s read-only" if sandbox == "read-only" else None
    modes = codex_overrides(argv, "sandbox_mode")  # (the last holds: codex applies them in order)
    return '-c sandbox_mode="read-only"' if modes and modes[-1] == "read-only" else None


def may_write_files(preset: str | None, argv: list[str]) -> bool:
    """Whether the agent CLI `argv` (of `preset`) is allowed to write files in the project, by the flags its
    runner's command gives it (RUNNERS.md); False for a CLI agentmake does not know. (Its settings files may
    let it too: `writing.agent_may_write` is the whole rule.)"""

    def values(*flags: str) -> list[str]:
        return _values(argv, *flags)

    if preset == "claude":  # (``--allowedTools A B``: it takes the words after it, as claude does)
        tools = " ".join(
            values("--allowedTools", "--allowed-tools")
            + _words_after(argv, "--allowedTools", "--allowed-tools")
        )
        return (
            bool({"acceptEdits", "bypassPermissions"} & set(values("--permission-mode")))
            or _has(argv, "--dangerously-skip-permissions")
            or any(tool in tools for tool in CLAUDE_WRITING_TOOLS)
        )
    if preset == "codex":
        sandboxes = set(values("-s", "--sandbox")) | set(codex_overrides(argv, "sandbox_mode", profiles=True))
        return bool(CODEX_WRITING_SANDBOXES & sandboxes) or _has(
            argv, "--dangerously-bypass-approvals-and-sandbox", "--full-auto"
        )
    if preset == "gemini":
        modes = set(values("--approval-mode"))  # (plan too: `writesettings.GEMINI_WRITING_MODES`)
        return bool(GEMINI_WRITING_MODES & modes) or _has(argv, "-y", "--yolo")
    if preset == "aider":  # (it edits files once told yes, unless in a mode that never edits)
        modes = set(values("--chat-mode", "--edit-format"))
        return (
            _has(argv, "--yes-always", "--yes")
            and not modes & {"ask", "help"}
            and not _has(argv, "--dry-run")
        )
    return False


def _job_dir(home: Path, cli: str) -> Path:
    """``home/<cli>`` (home: ``.agentmake/home/<task>``), made owner-only, as is ``home``. Neither of them,
    nor ``.agentmake/home``, may be a symbolic link: a login is copied into it and removed from it, so a link
    (``home/<task>/claude -> ~/.claude``) would have the user's own login overwritten, then removed."""
    cfg = home / cli
    for path in (home.parent, home, cfg):
        if path.is_symlink():
            raise InvocationError(
                f"{path} is a symbolic link: agentmake keeps {cli}'s files for a task there; remove it"
            )
    home.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in (home, cfg):
        path.mkdir(mode=0o700, exist_ok=True)
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)  # (made readable by an older version)
    return cfg


def llm_invocation(
    runner: RunnerSpec,
    preset: str | None,
    *,
    model: str | None,
    prompt: str,
    writes_files: bool,
    root: Path,
    home: Path,
    environ: Mapping[str, str],
) -> Invocation:
    """The invocation of an LLM agent (or merge report). `home` is this task's private config directory."""
    argv = list(runner.command)
    if not argv:
        raise InvocationError(f"runner {runner.name} has an empty command")
    env = base_env(environ)
    names = list(AUTH_ENV.get(preset or "", ())) + list(runner.env)
    for name in names:
        if name in environ:
            env[name] = environ[name]
    flag = runner.model_flag
    if preset in ("ollama", "openai-http") and not model:
        raise InvocationError(f"the {preset} runner needs a model: set `model` on the agent or the runner")
    if model and flag is not None:
        argv += [model] if flag == "" else [flag, model]
    if preset == "claude":
        cfg = _job_dir(home, "claude")
        src = Path(
            environ.get("CLAUDE_CONFIG_DIR") or Path(environ.get("HOME", "~")).expanduser() / ".claude"
        )
        lend(src, cfg, "settings.json")  # (settings stay: only the login is withdrawn)
        lend(src, cfg, LOGINS["claude"])  # (withdrawn with the job directory when the attempt ends)
        env["CLAUDE_CONFIG_DIR"] = str(cfg)
        env["DISABLE_AUTOUPDATER"] = "1"
        # claude retries 10 times itself, 401s included (~184 s): agentmake retries with its own backoff
        # and rate-limit cap, so a failure is told in seconds and holds no slot meanwhile
        env.setdefault("CLAUDE_CODE_MAX_RETRIES", CLAUDE_RETRIES)
        if writes_files and not _has(argv, "--permission-mode", "--dangerously-skip-permissions"):
            argv += ["--permission-mode", "acceptEdits"]
    elif preset == "codex":
        cfg = _job_dir(home, "codex")
        src = Path(environ.get("CODEX_HOME") or Path(environ.get("HOME", "~")).expanduser() / ".codex")
        lend(src, cfg, "config.toml")
        profile = codex_profile(argv)  # (its file, layered over config.toml by codex)
        if profile is not None:
            lend(src, cfg, f"{profile}.config.toml")
        lend(src, cfg, LOGINS["codex"])
        env["CODEX_HOME"] = str(cfg)
        if writes_files:
            argv += codex_sandbox_added(argv)
        if "-" not in argv:
            argv.append("-")  # read the prompt from stdin
    elif preset == "gemini":
        env.setdefault("GEMINI_CLI_TRUST_WORKSPACE", "true")  # agentmake runs in the project the user chose
        if writes_files and not _has(argv, "--approval-mode", "-y", "--yolo"):
            argv += ["--approval-mode", "auto_edit"]
    elif preset == "llm":
        db = _job_dir(home, "llm") / "logs.db"  # (the prompts and answers: owner-only too)
        if not _has(argv, "-d", "--database"):
            argv += ["-d", str(db)]
    elif preset == "openai-http":
        # the runner's `url` wins over the environment's (it is what the Agentfile, and the key, say)
        url = runner.url or environ.get("OPENAI_BASE_URL", "").strip()
        if not url:
            raise InvocationError(
                f"runner {runner.name} has no server: set `url = http://HOST:PORT/v1` on it, or "
                "OPENAI_BASE_URL"
            )
        problem = url_problem(url)
        if problem is not None:  # (the runner's was checked when the Agentfile loaded)
            raise InvocationError(f"OPENAI_BASE_URL: {problem}")
        env["OPENAI_BASE_URL"] = url
        if argv[0] == CLIENT:
            argv[:1] = openai_client()
    elif preset == "aider":
        return _aider(argv, env, prompt=prompt, writes_files=writes_files, root=root, home=home)
    return Invocation(argv=argv, stdin=prompt.encode("utf-8"), env=env, cwd=root)


def _aider(
    argv: list[str], env: dict[str, str], *, prompt: str, writes_files: bool, root: Path, home: Path
) -> Invocation:
    """aider's invocation: the prompt in a file of the task's job directory (aider reads no stdin, and argv
    is capped and visible to all), its histories there too, and a single-output agent in ask mode (its
    answer is the output, as for any agent that may not write files: aider answers, and edits nothing)."""
    cfg = _job_dir(home, "aider")
    message = _write_own(cfg / AIDER_MESSAGE, prompt)
    if not _has(argv, "--input-history-file"):
        argv += ["--input-history-file", str(cfg / "input.history")]
    if not _has(argv, "--chat-history-file"):
        argv += ["--chat-history-file", str(cfg / "chat.history.md")]
    if not _has(argv, "--restore-chat-history", "--no-restore-chat-history"):
        argv.append("--no-restore-chat-history")  # (an earlier build's chat is no input of this one)
    if not writes_files and not _has(argv, "--chat-mode", "--edit-format", "--architect"):
        argv += ["--chat-mode", "ask"]
    argv += ["--message-file", str(message)]
    # --yes-always also says yes to "Open URL for more info?" (after an API error that quotes one, a model
    # warning): each parallel task would open a browser. The browser it opens is `true`, unless the runner
    # passes the user's BROWSER on (`env`).
    env.setdefault("BROWSER", "true")
    return Invocation(argv=argv, stdin=None, env=env, cwd=root)


def _write_own(path: Path, text: str) -> Path:
    """Write `text` to a new owner-only file at `path` (a job directory: `_job_dir`), never through a
    symbolic link an agent may have put there (the directory is in the project): what is there goes first."""
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
        fd = os.open(path, flags, 0o600)
        with open(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fd, 0o600)  # (whatever the umask)
            fh.write(text)
    except OSError as exc:
        if os.path.isfile(path) and not os.path.islink(path):  # (written in part: a full disk)
            with contextlib.suppress(OSError):
                os.unlink(path)
        raise InvocationError(f"cannot write the prompt file {path}: {exc} (nothing was sent)") from None
    return path


def openai_client() -> list[str]:
    """The argv that runs the `openai-http` client: this Python, isolated (`-I`: the project, its working
    directory, is not on its import path, nor PYTHONPATH; it imports the standard library alone), on the
    module's file (found the same way whether agentmake is installed, editable or on PYTHONPATH)."""
    return [sys.executable, "-I", str(Path(__file__).with_name("openai_http.py"))]


# Words that make a command more than "run this program": reserved words, builtins that differ from (or do
# not exist as) programs. A command starting with one of them, or with an assignment, goes through the shell.
_SH_WORDS = frozenset((
    ".", ":", "alias", "bg", "break", "case", "cd", "command", "continue", "do", "done", "echo", "elif",
    "else", "esac", "eval", "exec", "exit", "export", "false", "fc", "fg", "fi", "for", "getopts", "hash",
    "if", "jobs", "kill", "local", "login", "logout", "newgrp", "printf", "pwd", "read", "readonly", "return",
    "set", "shift", "test", "then", "times", "trap", "true", "type", "ulimit", "umask", "unalias", "unset",
    "until", "wait", "while",
))  # fmt: skip
# No quoting, expansion, redirection, globbing, comments, separators or line breaks: split on spaces is exact.
_SIMPLE = re.compile(r"[A-Za-z0-9_./:,+=@%-]+(?: +[A-Za-z0-9_./:,+=@%-]+)*")


def direct_argv(command: str) -> list[str] | None:
    """The argv of a command the shell would run as one plain program (like make, which then skips the
    shell), or None when `command` needs a shell."""
    command = command.strip(" ")
    if not _SIMPLE.fullmatch(command):
        return None
    argv = command.split()
    if argv[0] in _SH_WORDS or "=" in argv[0]:
        return None
    return argv


def shell_invocation(
    runner: RunnerSpec, command: str, *, root: Path, environ: Mapping[str, str]
) -> Invocation:
    """A shell agent: `sh -c <command>`, like a make recipe, with the full environment and no stdin. Like
    make, a simple command (no shell syntax at all) under the default `sh -c` is executed directly, with the
    `sh -c` form as its fallback should it fail to start. `environ` given as `os.environ` is inherited."""
    prefix = tuple(runner.command or ("sh", "-c"))
    argv = [*prefix, command]
    env = None if environ is os.environ else dict(environ)
    direct = direct_argv(command) if prefix == ("sh", "-c") else None
    if direct is not None:
        return Invocation(argv=direct, stdin=None, env=env, cwd=root, fallback=argv)
    return Invocation(argv=argv, stdin=None, env=env, cwd=root)
