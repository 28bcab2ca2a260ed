"""Path patterns: globs (`*`, `?`, `**`) and `{wildcard}`s compiled once to a regex; a file index to match.

A pattern is a project-relative POSIX path whose segments may hold:

- `*` any run of characters within one segment, `?` one character, `**` (a whole segment): any number of
  segments;
- `{name}` a wildcard: one or more characters within one segment, bound to `name` (a repeated `{name}` must
  match the same text); `{{` and `}}` are literal braces.

Globs and wildcards never match a segment that starts with `.` unless the pattern spells the dot out, so
`docs/*.md` skips `docs/.draft.md` and `**` does not descend into `.git/`. Examples::

    >>> compile_pattern("docs/{name}.md").match("docs/intro.md")
    {'name': 'intro'}
    >>> compile_pattern("src/**/*.ts").match("src/a/b/c.ts")
    {}
    >>> compile_pattern("src/**/*.ts").match("src/c.ts")
    {}

`fileindex.FileIndex` lists the files a pattern may match. (`overlap.py` says whether two patterns can
name a common path.)
"""

from __future__ import annotations

import itertools
import os
import posixpath
import re
from dataclasses import dataclass, field
from functools import cached_property

AGENTMAKE_DIR = ".agentmake"
TMP_MARK = ".agentmake-tmp"

_WILDCARD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DRIVE = re.compile(r"[A-Za-z]:")
_MAGIC = re.compile(r"[*?{}]")
_NO_DOT = r"(?!\.)"
_SEG = r"[^/]+"

# Tokens of one segment: ("lit", text) | ("any",) for ? | ("star",) for * | ("wild", name)
Token = tuple[str, ...]
GLOBSTAR: tuple[Token, ...] = (("globstar",),)


class PatternError(ValueError):
    """A malformed pattern; the caller turns it into an AgentfileError located at the key."""


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern. `prefix` is its leading directory without magic ('' for the root); `depth` is how
    many segments follow the prefix (None when `**` makes it unbounded)."""

    text: str
    segments: tuple[tuple[Token, ...], ...]
    wildcards: tuple[str, ...]  # in order of first appearance
    has_glob: bool
    prefix: str
    depth: int | None
    hidden: bool  # a segment after the prefix starts with a literal '.'
    groups: tuple[str, ...] = field(compare=False, default=())  # regex group of each wildcard
    literal_text: str = field(compare=False, default="")  # the path a literal pattern names

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """The compiled regex, built on first use (thousands of literal paths need none)."""
        return re.compile(_to_regex(list(self.segments), list(self.wildcards)))

    @cached_property
    def lazy_regex(self) -> re.Pattern[str] | None:
        """`regex` with each wildcard and `*` taking as little as it can (`regex` takes as much): where the
        two bind other values, a path matches in more than one way. None where no path can: no segment
        holds a wildcard beside another wildcard or a `*` (with fixed text between, or none)."""
        if not any(_splits(seg) for seg in self.segments):
            return None
        return re.compile(_to_regex(list(self.segments), list(self.wildcards), lazy=True))

    def ambiguity(self, path: str) -> tuple[dict[str, str], dict[str, str]] | None:
        """Two bindings of the wildcards under which `path` (which matches) matches, when there are
        several: the one `match` gives (each wildcard, left to right, taking as much as it can) and the
        one where each takes as little; None when there is only one."""
        lazy = self.lazy_regex
        if lazy is None:
            return None
        m, n = self.regex.fullmatch(path), lazy.fullmatch(path)
        if m is None or n is None or m.groups() == n.groups():
            return None
        return dict(zip(self.wildcards, m.groups(), strict=True)), dict(
            zip(self.wildcards, n.groups(), strict=True)
        )

    def adjacent(self) -> tuple[str, str] | None:
        """Two wildcards (or a wildcard and a `*`) side by side with no text between (`{a}{b}`, `{a}*`),
        as written (`{a}`, `*`): no path tells where one ends and the other starts."""
        for seg in self.segments:
            for a, b in itertools.pairwise(seg):
                kinds = (a[0], b[0])
                if "wild" in kinds and set(kinds) <= {"wild", "star"} and a != b:
                    return tuple("*" if t[0] == "star" else f"{{{t[1]}}}" for t in (a, b))  # type: ignore[return-value]
        return None

    @property
    def is_literal(self) -> bool:
        return not self.has_glob and not self.wildcards

    @property
    def literal_path(self) -> str:
        """The path a literal pattern names (braces unescaped)."""
        return self.literal_text

    def match(self, path: str) -> dict[str, str] | None:
        m = self.regex.fullmatch(path)
        if m is None:
            return None
        return {name: m.group(g) for name, g in zip(self.wildcards, self.groups, strict=True)}

    def substitute(self, values: dict[str, str]) -> str:
        """The concrete path for wildcard `values` (for a pattern without globs; all its wildcards bound)."""
        out: list[str] = []
        for seg in self.segments:
            out.append("".join(values[t[1]] if t[0] == "wild" else t[1] for t in seg))
        return "/".join(out)


def normalize_path(path: str) -> str:
    """`./a//b/../c` -> `a/c`; keeps a leading `..` (the caller decides if leaving the root is ok)."""
    if path and "//" not in path and "/." not in path and path[0] != "." and path[-1] != "/":
        return path  # already normal (the common case; normpath costs microseconds)
    norm = posixpath.normpath(path)
    return "" if norm == "." else norm


def target_path(target: str, root: str) -> str:
    """A target given as a path, as the project names it: `./out/a.md` and an absolute path inside `root`
    -> `out/a.md` (one outside stays absolute, `_within_root`)."""
    path = _within_root(target, root) if os.path.isabs(target) else target
    return normalize_path(path.replace(os.sep, "/"))


def _within_root(path: str, root: str) -> str:
    """An absolute target `path` made relative to the project `root` when it lies in it: under the root as
    spelled, else under a directory of its own that is the root by another name (a link to it, its real path
    when the root was reached through a link: the shell's `$PWD` keeps links, the process's does not).
    Nothing below that directory is resolved, so a link inside the project names what it names. Else as
    given (then an unknown target)."""
    if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
        return os.path.relpath(path, root)
    ancestor = path
    while True:
        try:
            if os.path.samefile(ancestor, root):
                return os.path.relpath(path, ancestor)
        except (OSError, ValueError):
            pass  # (does not exist yet, as an output to be made: its directory may)
        parent = os.path.dirname(ancestor)
        if parent == ancestor:
            return path
        ancestor = parent


def segment_matchers(pattern: Pattern) -> list[re.Pattern[str]]:
    """A regex per segment of `pattern` for every text it could produce there (a wildcard: any text, dots
    too), as `output_matcher` is for the whole path: which directories an output may be made under."""
    return [
        re.compile("".join(re.escape(t[1]) if t[0] == "lit" else "[^/]*" for t in seg))
        for seg in pattern.segments
    ]


def is_outside_root(path: str) -> bool:
    norm = normalize_path(path)
    return norm.startswith("/") or norm == ".." or norm.startswith("../") or _DRIVE.match(norm) is not None


def _tokenize_segment(seg: str, text: str) -> tuple[Token, ...]:
    tokens: list[Token] = []
    lit: list[str] = []
    i = 0
    while i < len(seg):
        c = seg[i]
        if c in "{}" and seg.startswith(c * 2, i):
            lit.append(c)
            i += 2
            continue
        if c == "{":
            m = _WILDCARD.match(seg, i)
            if m is None:
                raise PatternError(f"bad wildcard in '{text}': write {{name}} , or {{{{ for a literal brace")
            token: Token = ("wild", m.group(1))
            i = m.end()
        elif c == "}":
            raise PatternError(f"unmatched '}}' in '{text}' (write }}}} for a literal brace)")
        elif c in "*?":
            token = ("star",) if c == "*" else ("any",)
            i += 1
        else:
            lit.append(c)
            i += 1
            continue
        if lit:
            tokens.append(("lit", "".join(lit)))
            lit = []
        if not (token == ("star",) and tokens and tokens[-1] == ("star",)):
            tokens.append(token)
    if lit:
        tokens.append(("lit", "".join(lit)))
    return tuple(tokens)


def compile_pattern(text: str) -> Pattern:
    """Parse and compile `text` (raises PatternError on a malformed wildcard)."""
    norm = normalize_path(text)
    if not norm:
        raise PatternError(f"'{text}' names the project directory itself, not a file")
    if _MAGIC.search(norm) is None:  # a plain path: the common case, kept cheap
        parts = norm.split("/")
        segs = tuple((("lit", part),) if part else () for part in parts)
        if norm.startswith("/"):
            segs = ((("lit", ""),), *segs[1:])
        hidden = parts[-1].startswith(".")
        return Pattern(norm, segs, (), False, "/".join(parts[:-1]), 1, hidden, (), norm)
    return _compile_general(norm, text)


def _compile_general(norm: str, text: str) -> Pattern:
    segments: list[tuple[Token, ...]] = []
    for part in norm.split("/"):
        segments.append(GLOBSTAR if part == "**" else _tokenize_segment(part, text))
    if norm.startswith("/"):  # absolute: the first segment is empty
        segments[0] = (("lit", ""),)
    wildcards: list[str] = []
    for seg in segments:
        for t in seg:
            if t[0] == "wild" and t[1] not in wildcards:
                wildcards.append(t[1])
    has_glob = any(t[0] in ("star", "any", "globstar") for seg in segments for t in seg)

    n_fixed = 0
    for seg in segments[:-1]:
        if any(t[0] != "lit" for t in seg):
            break
        n_fixed += 1
    prefix = "/".join("".join(t[1] for t in seg) for seg in segments[:n_fixed])
    rest = segments[n_fixed:]
    depth = None if GLOBSTAR in rest else len(rest)
    hidden = any(seg and seg[0][0] == "lit" and seg[0][1].startswith(".") for seg in rest)
    groups = tuple(f"w{i}" for i in range(len(wildcards)))
    literal = "" if has_glob or wildcards else "/".join("".join(t[1] for t in seg) for seg in segments)
    return Pattern(norm, tuple(segments), tuple(wildcards), has_glob, prefix, depth, hidden, groups, literal)


def _splits(seg: tuple[Token, ...]) -> bool:
    """Whether segment `seg` holds a wildcard and another wildcard or a `*` (a name may then split between
    them in more than one way)."""
    free = [t for t in seg if t[0] in ("wild", "star")]
    return len(free) >= 2 and any(t[0] == "wild" for t in free)


def _to_regex(segments: list[tuple[Token, ...]], wildcards: list[str], lazy: bool = False) -> str:
    seen: set[str] = set()
    parts: list[str] = []
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        if seg == GLOBSTAR:
            one = _NO_DOT + _SEG
            parts.append(f"(?:{one}/)*" if i < last else f"{one}(?:/{one})*")
            continue
        for j, t in enumerate(seg):
            guard = _NO_DOT if j == 0 else ""
            if t[0] == "lit":
                parts.append(re.escape(t[1]))
            elif t[0] == "star":
                parts.append(guard + ("[^/]*?" if lazy else "[^/]*"))
            elif t[0] == "any":
                parts.append(guard + "[^/]")
            else:
                g = f"w{wildcards.index(t[1])}"
                lazily = "?" if lazy else ""
                parts.append(f"(?P={g})" if t[1] in seen else f"(?P<{g}>{guard}{_SEG}{lazily})")
                seen.add(t[1])
        if i < last:
            parts.append("/")
    return "".join(parts)


def output_matcher(pattern: Pattern) -> re.Pattern[str]:
    """A regex for every path `pattern` could produce (a wildcard: any text within a segment, dots too)."""
    parts = []
    for seg in pattern.segments:
        parts.append("".join(re.escape(t[1]) if t[0] == "lit" else "[^/]*" for t in seg))
    return re.compile("/".join(parts))
