"""Creating HiGHS instances: silent, and with one thread count per process at a time."""

from __future__ import annotations

import os
import sys

import highspy

_banner_shown = False
_scheduler_threads: int | None = None


def set_threads(h: highspy.Highs, threads: int) -> None:
    """Set HiGHS's thread count, resetting its process-wide scheduler when the count changes.

    HiGHS starts one thread scheduler per process, sized by the first run; a later run asking
    for another count fails with status "not set" (seen: a 2-thread run, then every 1-thread
    solve in the same process returned no solution). Every instance built here states its
    count, and a change of count resets the scheduler first.
    """
    global _scheduler_threads
    if _scheduler_threads is not None and _scheduler_threads != threads:
        highspy.Highs.resetThreadScheduler(True)  # blocking: wait for the old workers
    h.setOptionValue("threads", threads)
    _scheduler_threads = threads


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance.

    HiGHS writes its copyright banner to file descriptor 1 when the first instance is built,
    whatever the output options; on stdout it would corrupt `rempart plan solve --json`. So
    the first construction runs with fd 1 pointed at /dev/null.
    """
    global _banner_shown
    if _banner_shown:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as sink:
                os.dup2(sink.fileno(), 1)
                h = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
    h.silent()
    h.setOptionValue("output_flag", False)
    set_threads(h, _scheduler_threads or 1)
    return h
