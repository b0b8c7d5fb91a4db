"""Planning runs: build the problem from the database, solve it in the background, read it.

`start_run` (PLAN_PRODUCTION) builds the problem in the request — bad input is refused there,
naming the field, before anything is stored — then stores a queued `PlanRun` and starts a
worker thread. The thread runs the solve in a child process (`solve_child`, no Django, so the
web server keeps answering and survives a solver crash), then stores the plan or the error.
The run's state is in the database, so a page reload (or another browser) shows the same
progress. A run left queued or running by a server that stopped is marked failed
(`reap_stale`) once its time limit plus a margin has passed.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models.functions import Now
from django.utils import timezone

from rempart.domain.roles import Action
from rempart.mes.accounts.models import User
from rempart.mes.accounts.permissions import require
from rempart.mes.accounts.services import actor_for
from rempart.mes.audit.context import Actor, audited_write
from rempart.mes.planboard.build import BoardParameters, build_problem
from rempart.mes.planboard.models import PlanRun, RunStatus

log = logging.getLogger(__name__)

WORKER = Actor.system("planning board worker")
#: A run still active this long after its time limit is taken as interrupted.
STALE_MARGIN_S = 300.0
#: The child process is killed at time limit × this + 60 s.
CHILD_TIMEOUT_FACTOR = 3.0
#: Threads HiGHS may use (the machine is shared; 1 keeps the web server responsive).
SOLVER_THREADS = 1

_threads: dict[int, threading.Thread] = {}


def start_run(
    user: User, params: BoardParameters, *, request_id: str = "", background: bool = True
) -> PlanRun:
    """Build the problem (refused here when the input is bad) and queue its solve."""
    require(user, Action.PLAN_PRODUCTION)
    built = build_problem(params)
    with audited_write(actor_for(user, request_id), reason="planning run started"):
        run = PlanRun.objects.create(
            created_by=user,
            start_date=params.start,
            parameters=params.to_dict(),
            notes=list(built.notes),
            problem=built.document,
            time_limit_s=params.time_limit_s,
        )
    if background:
        launch(run.pk)
    return run


def launch(run_id: int) -> threading.Thread:
    thread = threading.Thread(
        target=_worker, args=(run_id,), name=f"planboard-run-{run_id}", daemon=True
    )
    _threads[run_id] = thread
    thread.start()
    return thread


def wait(run_id: int, timeout: float | None = None) -> None:
    """Join the worker thread of `run_id` if this process started it (tests, the CLI)."""
    thread = _threads.get(run_id)
    if thread is not None:
        thread.join(timeout)


def _worker(run_id: int) -> None:
    try:
        execute_run(run_id)
    except Exception:  # the thread must record the failure, never die silently
        log.exception("planning run %s failed", run_id)
        try:
            _finish(run_id, failed="internal error while solving; it has been logged")
        except Exception:
            log.exception("planning run %s: the failure could not be recorded", run_id)
    finally:
        connections.close_all()


def _update(run_id: int, **values: Any) -> None:
    with audited_write(WORKER, reason="planning run progress"):
        PlanRun.objects.filter(pk=run_id).update(**values)


def _finish(run_id: int, *, failed: str = "", plan: dict[str, Any] | None = None) -> None:
    if failed:
        _update(
            run_id,
            status=RunStatus.FAILED,
            stage="failed",
            error=failed[:2000],
            finished_at=Now(),
        )
        return
    assert plan is not None
    gap = plan.get("gap")
    _update(
        run_id,
        status=RunStatus.DONE,
        stage="done",
        plan=plan,
        plan_status=str(plan.get("status", "")),
        gap=float(gap) if isinstance(gap, int | float) else None,
        finished_at=Now(),
    )


def execute_run(run_id: int) -> PlanRun:
    """Solve a queued run now (the worker thread calls this), storing the plan or the error."""
    run = PlanRun.objects.get(pk=run_id)
    if run.status != RunStatus.QUEUED:
        return run
    _update(run_id, status=RunStatus.RUNNING, stage="solving", started_at=Now())
    request = json.dumps(
        {"problem": run.problem, "time_limit_s": run.time_limit_s, "threads": SOLVER_THREADS}
    )
    try:
        child = subprocess.run(
            [sys.executable, "-m", "rempart.mes.planboard.solve_child"],
            input=request,
            capture_output=True,
            text=True,
            timeout=run.time_limit_s * CHILD_TIMEOUT_FACTOR + 60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        _finish(run_id, failed="the solver did not stop within its time limit; it was stopped")
        return PlanRun.objects.get(pk=run_id)
    except OSError as exc:
        _finish(run_id, failed=f"the solver could not be started: {exc.strerror}")
        return PlanRun.objects.get(pk=run_id)
    _update(run_id, stage="checking")
    try:
        answer = json.loads(child.stdout.strip().splitlines()[-1]) if child.stdout.strip() else {}
    except json.JSONDecodeError:
        answer = {}
    if "plan" in answer:
        plan = answer["plan"]
        if plan.get("status") in ("optimal", "feasible"):
            _finish(run_id, plan=plan)
        else:
            messages = "; ".join(plan.get("messages", []))
            _finish(
                run_id,
                failed=f"no plan: the solver says {plan.get('status')}"
                + (f" ({messages})" if messages else ""),
            )
    else:
        error = answer.get("error") or _last_line(child.stderr) or f"exit code {child.returncode}"
        _finish(run_id, failed=f"the solve failed: {error}")
    return PlanRun.objects.get(pk=run_id)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else ""


def reap_stale(now: datetime | None = None) -> int:
    """Mark failed the runs a stopped server left active; how many were marked."""
    now = now or timezone.now()
    marked = 0
    for run in PlanRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]):
        thread = _threads.get(run.pk)
        if thread is not None and thread.is_alive():
            continue
        since = run.started_at or run.created_at
        limit = run.time_limit_s * CHILD_TIMEOUT_FACTOR + 60 + STALE_MARGIN_S
        if since is not None and now - since > timedelta(seconds=limit):
            _finish(run.pk, failed="the solve was interrupted (the server stopped); start it again")
            marked += 1
    return marked


@dataclass(frozen=True, slots=True)
class Progress:
    run_id: int
    status: str
    stage: str
    elapsed_s: float | None
    time_limit_s: float
    plan_status: str
    gap: float | None
    error: str
    accepted: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "stage": self.stage,
            "elapsed_s": self.elapsed_s,
            "time_limit_s": self.time_limit_s,
            "plan_status": self.plan_status,
            "gap": self.gap,
            "error": self.error,
            "accepted": self.accepted,
        }


def progress(run: PlanRun) -> Progress:
    elapsed = None
    if run.started_at is not None:
        end = run.finished_at or timezone.now()
        elapsed = round((end - run.started_at).total_seconds(), 1)
    return Progress(
        run.pk,
        run.status,
        run.stage,
        elapsed,
        run.time_limit_s,
        run.plan_status,
        run.gap,
        run.error,
        run.accepted_at is not None,
    )
