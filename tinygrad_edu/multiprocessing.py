"""tinygrad_edu.multiprocessing: start one worker process per rank (torch.multiprocessing).

    def train(rank, world_size):              # runs in each child, rank = 0 .. nprocs-1
        dist.init_process_group("gloo", rank=rank, world_size=world_size)
        ...

    if __name__ == "__main__":                # needed: each child imports this file again
        os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", "29500"
        tinygrad_edu.multiprocessing.spawn(train, args=(2,), nprocs=2)

`spawn` starts fresh Python interpreters (the "spawn" start method): safe with threads and
Numba, at the price of each child importing the library again (about half a second). If a
child raises, the parent stops the others and raises `ProcessRaisedException` carrying the
child's traceback, so an error on rank 1 is not lost in a log. The rest of the standard
library's `multiprocessing` is re-exported, as PyTorch does.
PyTorch: its version also shares tensor memory between processes through shared memory when a
tensor is put in a Queue; here a tensor is pickled, i.e. copied.
"""

from __future__ import annotations

import multiprocessing as _mp
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing import (
    Event,
    Lock,
    Pipe,
    Process,
    Queue,
    SimpleQueue,
    cpu_count,
    current_process,
    get_all_start_methods,
    get_context,
    get_start_method,
    set_start_method,
)
from multiprocessing.connection import wait
from typing import Any

__all__ = [
    "Event", "Lock", "Pipe", "Process", "ProcessContext", "ProcessExitedException",
    "ProcessRaisedException", "Queue", "SimpleQueue", "cpu_count", "current_process",
    "get_all_start_methods", "get_context", "get_start_method", "set_start_method", "spawn",
    "start_processes",
]

TERMINATE_GRACE_SECONDS = 5.0  # how long a child stopped with SIGTERM gets before SIGKILL


class ProcessException(Exception):
    """A child process failed: `error_index` is its rank, `pid` its process id."""

    def __init__(self, msg: str, error_index: int, pid: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.pid = pid

    def __reduce__(self) -> tuple:
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A child raised an exception; the message holds the child's traceback."""


class ProcessExitedException(ProcessException):
    """A child died without a Python exception (a signal, os._exit, a crash)."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name: str | None = None) -> None:
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self) -> tuple:
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code,
                            self.signal_name)


def _run_child(fn: Callable, rank: int, args: tuple, error_queue: Any) -> None:
    """The body of each child: fn(rank, *args); on an exception, send the traceback home."""
    try:
        fn(rank, *args)
    except KeyboardInterrupt:
        pass  # the parent is stopping us
    except Exception:  # sys.exit(n) is not caught: the parent sees exit code n
        error_queue.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The running children of one `spawn`; `join()` waits for them and raises on failure."""

    def __init__(self, processes: list, error_queues: list) -> None:
        self.processes = processes
        self.error_queues = error_queues

    def pids(self) -> list[int]:
        return [int(process.pid) for process in self.processes]

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` seconds (None: until something happens) for the children.

        True when all have exited successfully, False while some still run; if one failed,
        stop the others and raise ProcessRaisedException / ProcessExitedException for it.
        """
        running = [p for p in self.processes if p.exitcode is None]
        if running:
            wait([p.sentinel for p in running], timeout=timeout)
        failed = [(rank, process) for rank, process in enumerate(self.processes)
                  if process.exitcode not in (None, 0)]
        if failed:
            self._stop_all()
            errors = [self._error(rank, process) for rank, process in failed]
            # when one rank fails, its peers fail soon after with "connection closed by
            # rank ..." (a DistBackendError): report the first error that is not such an echo
            causes = [e for e in errors if "DistBackendError" not in e.msg] or errors
            raise causes[0]
        return all(p.exitcode == 0 for p in self.processes)

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(TERMINATE_GRACE_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()

    def _error(self, rank: int, process: Any) -> ProcessException:
        queue = self.error_queues[rank]
        if not queue.empty():
            trace = queue.get()
            return ProcessRaisedException(
                f"\n\n-- Process {rank} terminated with the following error:\n{trace}",
                rank, process.pid)
        code = process.exitcode
        if code < 0:
            name = signal.Signals(-code).name
            return ProcessExitedException(f"process {rank} terminated with signal {name}",
                                          rank, process.pid, code, name)
        return ProcessExitedException(f"process {rank} terminated with exit code {code}",
                                      rank, process.pid, code)


def start_processes(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True,
                    daemon: bool = False, start_method: str = "spawn") -> ProcessContext | None:
    """Start nprocs processes running fn(rank, *args) with the given start method."""
    if not isinstance(nprocs, int) or nprocs < 1:
        raise ValueError(f"nprocs must be a positive integer, got {nprocs!r}")
    context = _mp.get_context(start_method)
    processes, error_queues = [], []
    for rank in range(nprocs):
        error_queue = context.SimpleQueue()
        process = context.Process(target=_run_child, args=(fn, rank, tuple(args), error_queue),
                                  daemon=daemon)
        process.start()
        processes.append(process)
        error_queues.append(error_queue)
    running = ProcessContext(processes, error_queues)
    if not join:
        return running
    while not running.join():
        pass
    return None


def spawn(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True,
          daemon: bool = False, start_method: str = "spawn") -> ProcessContext | None:
    """Run fn(rank, *args) in nprocs fresh processes; with join, wait for all of them.

    fn must be importable by the children (defined at the top level of a module, not a
    lambda), and a script that calls spawn must guard it by `if __name__ == "__main__":`.
    With join=False, returns the ProcessContext to join yourself.
    """
    return start_processes(fn, args, nprocs, join, daemon, start_method)
