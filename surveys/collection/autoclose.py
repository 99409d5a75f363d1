"""Rounds close themselves at the end of their closing date, whether or not anyone visits a page.

Every app process starts one background thread (``start``) that checks every
``QIPING_AUTOCLOSE_SECONDS`` (default 60; 0 turns it off). Several processes may run it at
once: ``rounds.close_overdue_rounds`` closes inside one write transaction, so
each round is closed, and audited, exactly once.

The same loop runs the closed loop's own checks (surveys/casework/escalation.py): unrated
answers close as satisfied by default, overdue agency steps are reminded and then escalated — each in one
write transaction, so several processes do each exactly once.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from surveys.storage import db as database
from surveys.collection import rounds
from surveys.casework import escalation

log = logging.getLogger(__name__)
CHECK_SECONDS = 60
_threads: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def check_seconds() -> float:
    return float(os.environ.get("QIPING_AUTOCLOSE_SECONDS", CHECK_SECONDS))


def close_due_rounds(path: str | Path) -> list[str]:
    """One check: close what is due; a failure is logged and tried again at the next check."""
    try:
        db = database.connect(path)
        try:
            closed = rounds.close_overdue_rounds(db)
        finally:
            db.close()
    except Exception:  # the server must keep serving; the next check tries again
        log.exception("auto-close check failed for %s", path)
        return []
    if closed:
        log.info("closed at the end of their closing date: %s", ", ".join(closed))
    return closed


def _every(path: str, interval: float, stop: threading.Event) -> None:
    while True:
        close_due_rounds(path)
        escalation.check_due(path)
        if stop.wait(interval):
            return


def start(path: str | Path, interval: float | None = None,
          stop: threading.Event | None = None) -> threading.Thread | None:
    """Start the background check for the database at ``path`` (once per process and database)."""
    key = str(Path(path).resolve())
    interval = check_seconds() if interval is None else interval
    with _lock:
        running = _threads.get(key)
        if interval <= 0 or (running is not None and running.is_alive()):
            return running
        thread = threading.Thread(target=_every, name=f"qiping-autoclose:{key}", daemon=True,
                                  args=(key, interval, stop or threading.Event()))
        _threads[key] = thread
        thread.start()
        return thread
