"""`agentmake watch`: build, then rebuild exactly what each edit made stale, until Ctrl-C, SIGTERM or SIGHUP.

A watcher thread (watchfiles) queues changed paths once the project has been quiet for `QUIET_MS` (a burst
of saves is one change); the main thread owns the builds. An edit of an input that lands while a build runs
cancels, at once, the running tasks that read it if its content is no longer what they were started with
(their process groups are ended, nothing is written), and the next build runs them again. A save of the
files that plan the build (the Agentfile, its includes, prompt files, report templates) holds new starts
until they are quiet; then, if they plan other work, the build starts nothing more and cancels the running
tasks whose key the new plan no longer has (`BuildControl.replan`), and the next build runs the new plan;
if they plan the same work (a comment added), it goes on; if they do not load, it starts nothing more. A
file added during a build (one no task reads) that a fan-out pattern matches holds it the same way, and
is looked at once quiet: a new task of a fan-out is other work (`WatchSession.added`).
Files read through a link out of the project are watched too, in the directories that hold them
(`links`, `outside`), and named as the paths that read them; so is an include named by a path that leaves
the project (`include "../common.Agentfile"`). agentmake's own writes (outputs this
session wrote, `.agentmake/`, staged temporary files) are not changes, so watch cannot loop; an output
edited by hand is a change, and so is undoing that edit.

The watcher can fail (watchfiles raises on a path whose name is not valid UTF-8, and drops the changes it
had gathered with it): it says so once on stderr, starts again, and has the whole project looked at again
(`RESCAN`: a build of whatever is stale); a build running meanwhile starts nothing until the files that plan
it are looked at again (a save of them may be among what was lost). If it fails again before it has
watched at all (such a directory is in the project: it cannot start), watch says why and exits with
EXIT_FAILED; it never keeps running without watching. The watch outside the project cannot stop it: if it
cannot start, watch says so once and goes on watching the project.

The modules, each with one job, in the order a change goes through them:

- `watcher`: the watcher thread (watchfiles over the project, restarted when it fails; cancels and holds
  for a running build)
- `outside`: the watch of the directories outside the project that tasks read through links
- `links`: naming what the watchers saw as the paths tasks read, through links in and out of the project
- `events`: what the watcher queues: agentmake's own files left out, a burst of saves gathered into one change
- `relevance`: which changed paths call for a reload of the Agentfile, which for a build; who reads a file
- `idle`: whether a build would do nothing at all (then it does not happen; else it takes the tasks found
  up to date as decided)
- `session`: one session's state: the last good project, the store, loading and building
- `command`: the command itself (`watch`): the main thread's loop and the signals that stop it

`watch` is imported on first use, so `agentmake.watch.links` loads without the rest of agentmake.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentmake.lazy import lazy_names

if TYPE_CHECKING:
    from agentmake.watch.command import watch

__all__ = ["watch"]

__getattr__ = lazy_names(__name__, {"watch": "agentmake.watch.command"})
