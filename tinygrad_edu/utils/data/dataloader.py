"""DataLoader: batches from a dataset, in the main process or in worker processes.

    sampler       -> indices            (main process; the only place shuffling happens)
    batch_sampler -> lists of indices   (main process)
    fetch         -> collate_fn([dataset[i] for i in batch])   (main, or worker processes)

With `num_workers > 0` each worker is a separate process (`multiprocessing`, the 'fork' context
on Linux: the dataset is inherited, not pickled; 'spawn' elsewhere or when asked via
`multiprocessing_context`, which needs a picklable dataset). The main process keeps
`prefetch_factor * num_workers` batches in flight, handing tasks out round-robin, and yields
results in sampler order, so the batches equal those of `num_workers=0` for a deterministic
dataset. Shuffling never depends on the worker count: one seed (`base_seed`) is drawn at every
`iter()` whatever the configuration, then the sampler draws its own.

Failure handling: an exception in a worker is re-raised in the main process with the worker's
traceback text; a worker that dies (killed, segfault) is detected at the next liveness check
(every MP_STATUS_CHECK_INTERVAL seconds while waiting) and raises RuntimeError; `timeout > 0`
bounds the wait for one batch. An early `break`, garbage collection of the iterator, Ctrl-C or
an error all end in `_shutdown_workers`, which stops, joins (or terminates) every worker.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import sys
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, draw_seed
from .worker import (
    MP_STATUS_CHECK_INTERVAL,
    ExceptionWrapper,
    IterableDatasetStopIteration,
    ResumeIteration,
    loads,
    make_fetcher,
    worker_loop,
)

__all__ = ["DataLoader"]

_FROZEN_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                      "persistent_workers")


class _InfiniteConstantSampler(Sampler[None]):
    """For an IterableDataset: None forever (the dataset decides when to stop)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


def _default_context() -> str:
    return "fork" if sys.platform.startswith("linux") else "spawn"


class DataLoader:
    """Iterate over `dataset` in batches (PyTorch's arguments, defaults and checks).

    `pin_memory` is accepted and has no effect: CPU storage is NumPy memory and there is no
    page-locked staging here (PyTorch likewise does nothing without an accelerator).
    """

    def __init__(
        self,
        dataset: Dataset[Any],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler[Any] | Iterable[Any] | None = None,
        batch_sampler: Sampler[Any] | Iterable[Any] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: str | Any | None = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
    ) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing. let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if num_workers > 0 and prefetch_factor == 0:
            # PyTorch: an AssertionError when iterating; with no batch in flight, nothing runs
            raise ValueError("prefetch_factor must be greater than 0 when num_workers > 0")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        is_iterable = isinstance(dataset, IterableDataset)
        if is_iterable:
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
            else:
                sampler = SequentialSampler(dataset)  # type: ignore[arg-type]
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # type: ignore[arg-type]
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context or _default_context()
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self._is_iterable = is_iterable
        self._iterator: _MultiProcessingDataLoaderIter | None = None
        self.__initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_DataLoader__initialized", False) and name in _FROZEN_AFTER_INIT:
            raise ValueError(f"{name} attribute should not be set after "
                             f"{self.__class__.__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Iterable[Any]:
        return self.batch_sampler if self._auto_collation else self.sampler  # type: ignore

    def __iter__(self) -> _BaseDataLoaderIter:
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        if not self.persistent_workers:
            return _MultiProcessingDataLoaderIter(self)
        if self._iterator is None:
            self._iterator = _MultiProcessingDataLoaderIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    def __len__(self) -> int:
        if self._is_iterable:
            length = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is None:
                return length
            if self.drop_last:
                return length // self.batch_size
            return (length + self.batch_size - 1) // self.batch_size
        return len(self._index_sampler)  # type: ignore[arg-type]


class _BaseDataLoaderIter:
    """State shared by both iterators: the index iterator and the base seed of this epoch."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._collate_fn = loader.collate_fn
        self._timeout = loader.timeout
        self._generator = loader.generator
        self._reset_indices()

    def _reset_indices(self) -> None:
        # drawn at every iter(), whatever num_workers: keeps the RNG stream independent of it
        # PyTorch: a persistent iterator does not redraw it at the start of later epochs
        self._base_seed = draw_seed(self._generator)
        self._sampler_iter = iter(self._index_sampler)

    def _next_index(self) -> Any:
        return next(self._sampler_iter)

    def __iter__(self) -> _BaseDataLoaderIter:
        return self

    def __next__(self) -> Any:
        return self._next_data()

    def __len__(self) -> int:
        return len(self._index_sampler)  # type: ignore[arg-type]

    def _next_data(self) -> Any:
        raise StopIteration


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    """num_workers=0: fetch each batch in the calling process."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._fetcher = make_fetcher(self._dataset, self._is_iterable, self._auto_collation,
                                     self._collate_fn, self._drop_last)

    def _next_data(self) -> Any:
        index = self._next_index()
        return self._fetcher.fetch(index)


def _describe_exit(process: Any) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            import signal

            return f"pid {process.pid} killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"pid {process.pid} killed by signal {-code}"
    return f"pid {process.pid} exit code {code}"


def _shutdown_workers(workers: list[Any], index_queues: list[Any], result_queue: Any,
                      done_event: Any) -> None:
    """Stop workers: done event, a None in each index queue, join; terminate stragglers."""
    try:
        done_event.set()
        for index_queue in index_queues:
            try:
                index_queue.put(None)
            except (OSError, ValueError):
                pass
        for worker in workers:
            worker.join(timeout=MP_STATUS_CHECK_INTERVAL)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
                worker.join()
        for index_queue in index_queues:
            index_queue.cancel_join_thread()
            index_queue.close()
        result_queue.cancel_join_thread()
        result_queue.close()


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """num_workers > 0: tasks (task_id, indices) out round-robin, results back in order."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._persistent_workers = loader.persistent_workers
        self._prefetch_factor = loader.prefetch_factor
        context = loader.multiprocessing_context
        if isinstance(context, str):
            context = multiprocessing.get_context(context)
        self._result_queue = context.Queue()
        self._done_event = context.Event()
        self._index_queues: list[Any] = []
        self._workers: list[Any] = []
        # A weakref finalizer, not __del__: it holds the queues, so when the iterator dies in a
        # reference cycle the queues are still open while the workers are told to stop.
        self._finalizer = weakref.finalize(self, _shutdown_workers, self._workers,
                                           self._index_queues, self._result_queue,
                                           self._done_event)
        try:
            for worker_id in range(self._num_workers):
                index_queue = context.Queue()
                index_queue.cancel_join_thread()  # never block main's exit on a dead worker
                worker = context.Process(
                    target=worker_loop,
                    args=(self._is_iterable, self._dataset, index_queue, self._result_queue,
                          self._done_event, self._auto_collation, self._collate_fn,
                          self._drop_last, self._base_seed, loader.worker_init_fn, worker_id,
                          self._num_workers, os.getpid()),
                    daemon=True,
                )
                worker.start()
                self._index_queues.append(index_queue)
                self._workers.append(worker)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(loader, first_iter=True)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        """Start an epoch: fresh indices and bookkeeping; persistent workers restart."""
        if not first_iter:
            self._reset_indices()
        self._send_idx = 0  # next task id to send
        self._rcvd_idx = 0  # next task id to yield
        # task id -> (worker_id,) while in flight, (worker_id, data) once arrived early
        self._task_info: dict[int, tuple[Any, ...]] = {}
        self._workers_status = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            for index_queue in self._index_queues:
                index_queue.put(ResumeIteration())
            pending = self._num_workers
            while pending > 0:  # stale batches of an interrupted epoch are dropped here
                task_id, _ = self._get_data()
                if isinstance(task_id, ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):  # type: ignore[operator]
            self._try_put_index()

    def _try_put_index(self) -> None:
        """Send the next batch of indices to the next active worker (round-robin)."""
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return  # every worker is exhausted (iterable dataset)
        try:
            index = self._next_index()
        except StopIteration:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._send_idx += 1

    def _get_data(self) -> tuple[Any, Any]:
        """Wait for one result; raise when a worker died or `timeout` passed."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = MP_STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                return loads(self._result_queue.get(timeout=wait))
            except queue.Empty:
                pass
            dead = [w for i, w in enumerate(self._workers)
                    if self._workers_status[i] and not w.is_alive()]
            if dead:
                details = ", ".join(_describe_exit(w) for w in dead)
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader worker ({details}) exited unexpectedly")
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _next_data(self) -> Any:
        while True:
            # skip tasks of workers whose iterable dataset is exhausted
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._workers_status[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:  # arrived earlier, out of order
                del self._task_info[self._rcvd_idx]
                return self._process_data(info[1])
            task_id, data = self._get_data()
            if isinstance(data, IterableDatasetStopIteration):
                self._mark_worker_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if task_id not in self._task_info:
                continue  # stale (an interrupted epoch of a persistent worker)
            if task_id != self._rcvd_idx:
                self._task_info[task_id] += (data,)
                continue
            del self._task_info[task_id]
            return self._process_data(data)

    def _process_data(self, data: Any) -> Any:
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _mark_worker_unavailable(self, worker_id: int) -> None:
        self._workers_status[worker_id] = False
        if not self._persistent_workers:
            self._index_queues[worker_id].put(None)  # its work is done: let it exit

    def _shutdown_workers(self) -> None:
        """Stop every worker now (idempotent; also runs when the iterator is collected)."""
        self._finalizer()

