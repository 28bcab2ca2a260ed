"""agentmake's private cache directory, for the caches whose loading runs code (pickles, compiled code)."""

from __future__ import annotations

import os


def cache_dir() -> str | None:
    """agentmake's private cache directory (`$XDG_CACHE_HOME/agentmake`, else `~/.cache/agentmake`), None when
    it is not this user's alone. The caches kept there (pickles, compiled code: loading one runs code) live
    only there: never in a shared temporary directory. No such directory: no cache, only slower."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # (XDG: a relative path is invalid and ignored: never the working directory)
        base = os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):  # (a relative $HOME)
        return None
    directory = os.path.join(base, "agentmake")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        st = os.stat(directory)
    except OSError:
        return None
    if st.st_uid != os.getuid() or st.st_mode & 0o022 or not os.access(directory, os.W_OK):
        return None
    return directory
