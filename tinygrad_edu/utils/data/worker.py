"""What runs inside a DataLoader worker process, and the messages it exchanges with the main one.

A worker is a loop (`worker_loop`):

    seed RNGs with base_seed + worker_id; worker_init_fn(worker_id)
    while the parent is alive:
        message = index_queue.get()          # (task_id, indices) | ResumeIteration | None
        None              -> leave the loop (shutdown)
        ResumeIteration   -> restart the iterable dataset, acknowledge
        (task_id, index)  -> batch = collate([dataset[i] for i in index])
                             result_queue.put(dumps((task_id, batch or ExceptionWrapper)))

Batches cross the process boundary as bytes made by `dumps`: a pickle in which every Tensor is
replaced by its NumPy array (`_rebuild_tensor` wraps it again with `from_numpy` on arrival). The
bytes only ever travel through the loader's own pipes, from a child it forked itself.
"""

from __future__ import annotations

import io
import os
import pickle
import queue
import random
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_edu as _tg

__all__ = ["WorkerInfo", "get_worker_info"]

MP_STATUS_CHECK_INTERVAL = 1.0  # seconds between liveness checks (worker: parent; main: workers)


@dataclass(frozen=True)
class WorkerInfo:
    """Describes the current worker: its `id` (0..num_workers-1), `num_workers`, its `seed`
    (base_seed + id) and its own copy of the `dataset`."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The WorkerInfo of this process inside a DataLoader worker; None in the main process."""
    return _worker_info


# --- messages --------------------------------------------------------------------------------


class ResumeIteration:
    """Main -> persistent worker: a new epoch starts; restart the dataset iterator."""


@dataclass
class IterableDatasetStopIteration:
    """Worker -> main: this worker's copy of the iterable dataset is exhausted."""

    worker_id: int


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback text."""

    def __init__(self, exc_info: tuple[Any, BaseException, Any], where: str) -> None:
        self.exc_type: type[BaseException] | None = exc_info[0]
        self.exc_name = exc_info[0].__name__
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self) -> None:
        """Raise the same exception type in the main process, the worker's traceback as text.

        As in PyTorch: a type that cannot be rebuilt from one message string, or that did not
        survive pickling, becomes a RuntimeError carrying the same text.
        """
        message = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            message = _KeyErrorMessage(message)
        if self.exc_type is None:
            raise RuntimeError(message)
        try:
            exception = self.exc_type(message)
        except Exception:  # noqa: BLE001 (user code: pass any error on)
            raise RuntimeError(message) from None
        raise exception


class _KeyErrorMessage(str):
    """KeyError shows repr(message); this keeps the traceback readable (PyTorch's trick)."""

    def __repr__(self) -> str:
        return str(self)


# --- serialization of batches -----------------------------------------------------------------


def _rebuild_tensor(array: np.ndarray) -> Any:
    return _tg.from_numpy(array)


class _TensorPickler(pickle.Pickler):
    """A Pickler that sends a Tensor as its NumPy array (CPU) and nothing else of it."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _tg.Tensor):
            array = obj.detach().cpu().numpy() if hasattr(obj, "detach") else obj.numpy()
            return _rebuild_tensor, (array,)
        return NotImplemented


def dumps(obj: Any) -> bytes:
    """Serialize a batch (any nesting of tensors, arrays, numbers, strings, containers)."""
    buffer = io.BytesIO()
    _TensorPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def loads(payload: bytes) -> Any:
    """Inverse of `dumps`; only ever applied to bytes from the loader's own worker processes."""
    return pickle.loads(payload)


def _dumps_or_error(task_id: Any, data: Any, worker_id: int) -> bytes:
    """dumps((task_id, data)); a batch (or exception type) that cannot be pickled becomes an
    error for the main process instead of a batch it would wait for forever."""
    try:
        return dumps((task_id, data))
    except Exception:  # noqa: BLE001 (user code: pass any error on)
        if isinstance(data, ExceptionWrapper):
            data.exc_type = None  # the type itself does not pickle: re-raised as RuntimeError
            return dumps((task_id, data))
        where = f"in DataLoader worker process {worker_id} while pickling the batch"
        wrapper = ExceptionWrapper(sys.exc_info(), where)
    try:
        return dumps((task_id, wrapper))
    except Exception:  # noqa: BLE001 (user code: pass any error on)
        wrapper.exc_type = None
        return dumps((task_id, wrapper))


# --- fetchers: one batch from a dataset (used by workers and by num_workers=0) ---------------


class MapDatasetFetcher:
    """batch = collate_fn([dataset[i] for i in index]), or collate_fn(dataset[index])."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[..., Any],
                 drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last

    def fetch(self, index: Any) -> Any:
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            if callable(getitems):
                data = getitems(index)
            else:
                data = [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class IterableDatasetFetcher:
    """batch = collate_fn(next len(index) samples); StopIteration when none (or a short batch
    with drop_last) is left."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[..., Any],
                 drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def make_fetcher(dataset: Any, is_iterable: bool, auto_collation: bool,
                 collate_fn: Callable[..., Any], drop_last: bool) -> Any:
    cls = IterableDatasetFetcher if is_iterable else MapDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


# --- the worker process -------------------------------------------------------------------------


def seed_worker(seed: int) -> None:
    """Seed every RNG a dataset might use: the library's, Python's `random`, NumPy's global."""
    _tg.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def worker_loop(
    is_iterable: bool,
    dataset: Any,
    index_queue: Any,
    result_queue: Any,
    done_event: Any,
    auto_collation: bool,
    collate_fn: Callable[..., Any],
    drop_last: bool,
    base_seed: int,
    init_fn: Callable[[int], None] | None,
    worker_id: int,
    num_workers: int,
    parent_pid: int,
) -> None:
    """Body of worker process `worker_id` (see the module docstring for the loop)."""
    global _worker_info
    # Ctrl-C reaches the whole process group: the main process handles it and shuts us down
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    seed = base_seed + worker_id
    seed_worker(seed)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    where = f"in DataLoader worker process {worker_id}"
    init_error: ExceptionWrapper | None = None
    fetcher = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = make_fetcher(dataset, is_iterable, auto_collation, collate_fn, drop_last)
    except Exception:  # noqa: BLE001 (user code: pass any error on)
        init_error = ExceptionWrapper(sys.exc_info(), where)
    iteration_end = False
    while os.getppid() == parent_pid:  # watchdog: exit when the main process is gone
        try:
            message = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
        except queue.Empty:
            continue
        if message is None:
            break
        if isinstance(message, ResumeIteration):
            iteration_end = False
            if init_error is None:
                try:
                    fetcher = make_fetcher(dataset, is_iterable, auto_collation, collate_fn,
                                           drop_last)
                except Exception:  # noqa: BLE001 (user code: pass any error on)
                    init_error = ExceptionWrapper(sys.exc_info(), where)
            result_queue.put(dumps((message, None)))
            continue
        if done_event.is_set() or iteration_end:
            continue  # drain until the None that ends the loop
        task_id, index = message
        data: Any
        if init_error is not None:
            data = init_error
        else:
            try:
                data = fetcher.fetch(index)  # type: ignore[union-attr]
            except StopIteration:
                if not is_iterable:
                    data = ExceptionWrapper(sys.exc_info(), where)
                else:
                    data = IterableDatasetStopIteration(worker_id)
                    iteration_end = True
            except Exception:  # noqa: BLE001 (user code: pass any error on)
                data = ExceptionWrapper(sys.exc_info(), where)
        result_queue.put(_dumps_or_error(task_id, data, worker_id))
        del data, message, index
    if done_event.is_set():
        # the main process no longer reads: do not block exit on flushing the pipe
        result_queue.cancel_join_thread()
        result_queue.close()
