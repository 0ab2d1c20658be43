"""Running many independent solves on an executor.

Every scenario function (sweeps, the frontier, comparisons, robustness) cuts its work
into picklable *tasks* (proposals, rules and a chunk of budgets or scenarios) and hands
them to :func:`run_tasks`. A task rebuilds the :class:`~selector.engine.Model` once in
the worker and re-solves it for every item of its chunk, so a chunk pays for one build.

Where the tasks run:

- ``executor=None, workers=1``: in this process, one after the other (no pool);
- ``executor=None, workers=k`` (``None``: one per CPU): a
  :class:`~concurrent.futures.ProcessPoolExecutor` with the ``spawn`` start method
  (safe beside threads, the same on every platform; each worker pays one import of
  ``selector``), created for the call and shut down after it;
- any :class:`concurrent.futures.Executor` you pass (it is not shut down);
- a Dask ``distributed.Client`` (anything with ``get_executor``): its
  ``get_executor(pure=False)`` is used, so a cluster works unchanged.

Every scenario function takes the same :class:`RunOptions` (``run=``, or the keywords
``workers=``, ``executor=``, ``chunks=``, ``progress=``) with the same defaults: the solves
run in this process (``workers=1``), so a script needs no ``if __name__ == "__main__":``
guard. Local processes are used only when asked for (``workers=k``, or ``None`` for one
per CPU), and then the guard *is* needed, as for any program using ``multiprocessing``.

Results come back in task order whichever executor ran them, so a seeded computation
gives the same answer everywhere. A progress bar (rich, on stderr) shows finished
items unless ``progress=False``; nothing else is printed.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from selector._errors import InputProblem, InvalidInputError

__all__ = ["RunOptions", "chunked", "default_workers", "run_tasks"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class RunOptions:
    """Where the many solves of a scenario function run (see the module docstring).

    Attributes
    ----------
    workers:
        ``1`` (default): in this process; ``k``: ``k`` local processes; ``None``: one
        local process per CPU. Ignored when ``executor`` is given.
    executor:
        A :class:`concurrent.futures.Executor` or a Dask ``distributed.Client``.
    chunks:
        Parts the work is cut into (each builds the model once); default: one in this
        process, four per worker otherwise.
    progress:
        Show a progress bar on stderr.

    Examples
    --------
    >>> RunOptions().workers, RunOptions().parts(), RunOptions(workers=2).parts()
    (1, 1, 8)
    """

    workers: int | None = 1
    executor: Any = None
    chunks: int | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise InvalidInputError(InputProblem.of("engine.arg.at_least", name="workers", min=1,
                                                    got=self.workers))
        if self.chunks is not None and self.chunks < 1:
            raise InvalidInputError(InputProblem.of("engine.arg.at_least", name="chunks", min=1,
                                                    got=self.chunks))

    @property
    def here(self) -> bool:
        """True when the work runs in this process, one item after the other."""
        return self.executor is None and self.workers == 1

    def parts(self) -> int:
        """The number of chunks: as given, else one here and four per worker otherwise."""
        if self.chunks is not None:
            return self.chunks
        return 1 if self.here else 4 * (self.workers or default_workers())


def default_workers() -> int:
    """The number of worker processes used when none is given (the CPUs available)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def chunked(items: Sequence[T], parts: int) -> list[list[T]]:
    """Cut ``items`` into at most ``parts`` contiguous chunks of near-equal size.

    Examples
    --------
    >>> chunked([1, 2, 3, 4, 5], 2)
    [[1, 2, 3], [4, 5]]
    >>> chunked([], 3)
    []
    """
    if parts < 1:
        raise ValueError(f"parts must be >= 1, got {parts}")
    n = len(items)
    parts = min(parts, n)
    out: list[list[T]] = []
    start = 0
    for k in range(parts):
        stop = start + n // parts + (1 if k < n % parts else 0)
        out.append(list(items[start:stop]))
        start = stop
    return out


def _as_executor(executor: Any) -> Executor:
    """A concurrent.futures executor for ``executor`` (a Dask Client is adapted)."""
    if isinstance(executor, Executor):
        return executor
    get_executor = getattr(executor, "get_executor", None)
    if callable(get_executor):
        adapted = get_executor(pure=False)
        if isinstance(adapted, Executor):
            return adapted
    raise TypeError(
        "executor must be a concurrent.futures.Executor or a dask distributed.Client, "
        f"got {type(executor).__name__}"
    )


def run_tasks(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    *,
    executor: Any = None,
    workers: int | None = None,
    progress: bool = True,
    description: str = "Solving",
    sizes: Sequence[int] | None = None,
) -> list[R]:
    """Run ``fn`` on every task and return the results in task order.

    Parameters
    ----------
    fn:
        A module-level (picklable) function.
    tasks:
        Picklable arguments, one per call.
    executor:
        A :class:`concurrent.futures.Executor`, a Dask ``distributed.Client``, or
        ``None`` for local processes (see the module docstring).
    workers:
        Local processes when ``executor`` is ``None``; ``1`` runs in this process.
    progress:
        Show a progress bar on stderr.
    description:
        The progress bar's label.
    sizes:
        The number of items in each task (the bar counts items); default one each.

    Examples
    --------
    >>> run_tasks(abs, [-1, 2, -3], workers=1, progress=False)
    [1, 2, 3]
    """
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    counts = list(sizes) if sizes is not None else [1] * len(tasks)
    if len(counts) != len(tasks):
        raise ValueError(f"sizes must have one entry per task, got {len(counts)} for {len(tasks)}")
    with _Progress(progress, description, sum(counts)) as bar:
        if executor is None and (workers == 1 or len(tasks) <= 1):
            results = []
            for task, size in zip(tasks, counts, strict=True):
                results.append(fn(task))
                bar.advance(size)
            return results
        if executor is None:
            n = min(workers or default_workers(), len(tasks))
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=n, mp_context=context) as pool:
                return _gather(pool, fn, tasks, counts, bar)
        return _gather(_as_executor(executor), fn, tasks, counts, bar)


def _gather(
    pool: Executor, fn: Callable[[T], R], tasks: Sequence[T], counts: list[int], bar: _Progress
) -> list[R]:
    futures: dict[Future[R], int] = {pool.submit(fn, task): k for k, task in enumerate(tasks)}
    results: dict[int, R] = {}
    try:
        for future in as_completed(futures):
            k = futures[future]
            results[k] = future.result()
            bar.advance(counts[k])
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return [results[k] for k in range(len(tasks))]


class _Progress:
    """A rich progress bar on stderr, or nothing when disabled."""

    def __init__(self, enabled: bool, description: str, total: int) -> None:
        self._bar: Any = None
        self._task: Any = None
        if enabled and total > 0:
            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=Console(stderr=True), transient=True,
            )
            self._task = self._bar.add_task(description, total=total)

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, size: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, size)
