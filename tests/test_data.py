"""tinygrad_edu.utils.data: datasets, samplers, collation, DataLoader (in-process and workers).

PyTorch's own classes are the oracle where the result does not depend on the RNG stream
(collation, batching, distributed index arithmetic, split lengths).
"""

from __future__ import annotations

import collections
import gc
import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

try:
    import torch
    import torch.utils.data as torch_data
except ImportError:  # the oracle is optional
    torch = None
    torch_data = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _children() -> list[int]:
    """PIDs of this process's live child processes (Linux /proc)."""
    pids = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:  # a thread that just ended
            pass
    return pids


@pytest.fixture(autouse=True)
def no_leftover_processes():
    """Every test must leave no DataLoader worker behind."""
    before = set(_children())
    yield
    deadline = time.monotonic() + 5
    left = set(_children()) - before
    while left and time.monotonic() < deadline:
        gc.collect()  # an iterator kept alive by a traceback cycle is shut down here
        multiprocessing.active_children()  # reaps finished children
        time.sleep(0.05)
        left = set(_children()) - before
    assert not left, f"worker processes left behind: {sorted(left)}"


def plain(x: Any) -> Any:
    """Nested structure -> comparable Python/NumPy values; tensors (ours or torch's) -> arrays."""
    if isinstance(x, tg.Tensor):
        return ("tensor", x.numpy().dtype.name, x.numpy().tolist())
    if torch is not None and isinstance(x, torch.Tensor):
        return ("tensor", x.numpy().dtype.name, x.numpy().tolist())
    if isinstance(x, dict):
        return ("dict", type(x).__name__, {k: plain(v) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return ("namedtuple", type(x).__name__, [plain(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    return x


# --- datasets ------------------------------------------------------------------------------------


def test_tensor_dataset() -> None:
    x = tg.from_numpy(np.arange(12, dtype=np.float32).reshape(6, 2))
    y = tg.from_numpy(np.arange(6, dtype=np.int64))
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    assert xi.numpy().tolist() == [8.0, 9.0] and yi.item() == 4
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(x, tg.from_numpy(np.arange(5)))


def test_subset_and_concat() -> None:
    base = list(range(10, 20))

    class ListDataset(Dataset):
        def __init__(self, items: list[int]) -> None:
            self.items = items

        def __getitem__(self, i: Any) -> Any:
            if isinstance(i, list):
                return [self.items[j] for j in i]
            return self.items[i]

        def __len__(self) -> int:
            return len(self.items)

    ds = ListDataset(base)
    sub = Subset(ds, [9, 0, 5])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [19, 10, 15]
    assert sub[[0, 2]] == [19, 15] and sub.__getitems__([1, 2]) == [10, 15]
    both = ds + ListDataset([1, 2])
    assert isinstance(both, ConcatDataset) and len(both) == 12
    assert both.cumulative_sizes == [10, 12]
    assert [both[i] for i in (0, 9, 10, 11, -1, -12)] == [10, 19, 1, 2, 2, 10]
    with pytest.raises(ValueError, match="absolute value"):
        both[-13]
    with pytest.raises(IndexError):
        both[12]
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])


class Counting(IterableDataset):
    """Yields start..stop-1; with workers, each yields its own interleaved share."""

    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = start, stop

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.start, self.stop))
        return iter(range(self.start + info.id, self.stop, info.num_workers))

    def __len__(self) -> int:
        return self.stop - self.start


class Unsharded(IterableDataset):
    def __iter__(self):
        return iter(range(3))


def flat(batches: Any) -> list[Any]:
    return [value for batch in batches for value in batch.numpy().tolist()]


def test_iterable_and_chain() -> None:
    chained = Counting(0, 3) + Counting(10, 12)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 2, 10, 11]
    assert len(chained) == 5
    with pytest.raises(TypeError, match="IterableDataset"):
        ConcatDataset([Counting(0, 2)])
    with pytest.raises(TypeError):
        Dataset()[0]


def test_random_split_lengths_and_fractions() -> None:
    ds = list(range(10))
    tg.manual_seed(0)
    parts = random_split(ds, [3, 7])
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == ds
    tg.manual_seed(0)
    again = random_split(ds, [3, 7])
    assert again[0].indices == parts[0].indices, "not reproducible under manual_seed"
    fractions = random_split(ds, [0.33, 0.33, 0.34])
    assert [len(p) for p in fractions] == [4, 3, 3]  # remainder handed out round-robin
    g1, g2 = tg.Generator(), tg.Generator()
    g1.manual_seed(42)
    g2.manual_seed(42)
    assert random_split(ds, [5, 5], generator=g1)[0].indices == \
        random_split(ds, [5, 5], generator=g2)[0].indices
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(list(range(2)), [1.0, 0.0])


@needs_torch
@pytest.mark.parametrize("n, fractions", [(10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]),
                                          (101, [0.8, 0.1, 0.1])])
def test_random_split_fraction_lengths_match_torch(n: int, fractions: list[float]) -> None:
    ours = [len(p) for p in random_split(list(range(n)), fractions)]
    theirs = [len(p) for p in torch_data.random_split(list(range(n)), fractions)]
    assert ours == theirs


# --- samplers -----------------------------------------------------------------------------------


def test_sequential_and_random_sampler() -> None:
    data = list(range(7))
    assert list(SequentialSampler(data)) == data and len(SequentialSampler(data)) == 7
    tg.manual_seed(3)
    first = list(RandomSampler(data))
    tg.manual_seed(3)
    assert list(RandomSampler(data)) == first and sorted(first) == data
    g = tg.Generator()
    g.manual_seed(1)
    longer = list(RandomSampler(data, num_samples=17, generator=g))
    assert len(longer) == 17
    assert sorted(longer[:7]) == data and sorted(longer[7:14]) == data  # whole permutations
    drawn = list(RandomSampler(data, replacement=True, num_samples=100))
    assert len(drawn) == 100 and set(drawn) <= set(data) and len(set(drawn)) > 1
    assert len(RandomSampler(data, replacement=True, num_samples=40)) == 40
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(data, num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(data, replacement=1)
    with pytest.raises(TypeError):
        iter(Sampler())


def test_subset_random_and_weighted_sampler() -> None:
    indices = [3, 8, 11]
    tg.manual_seed(0)
    drawn = list(SubsetRandomSampler(indices))
    assert sorted(drawn) == indices and len(SubsetRandomSampler(indices)) == 3
    tg.manual_seed(0)
    assert list(SubsetRandomSampler(indices)) == drawn

    weights = [0.0, 1.0, 3.0]
    tg.manual_seed(5)
    sampler = WeightedRandomSampler(weights, 4000)
    counts = np.bincount(list(sampler), minlength=3)
    assert counts[0] == 0, "an index of weight 0 was drawn"
    assert abs(counts[2] / counts[1] - 3.0) < 0.5, f"frequencies {counts} not ~ weights"
    tg.manual_seed(5)
    a = list(WeightedRandomSampler(weights, 50))
    tg.manual_seed(5)
    assert list(WeightedRandomSampler(weights, 50)) == a, "not reproducible under manual_seed"
    unique = list(WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False))
    assert sorted(unique) == [0, 1, 2, 3]
    weighted_tensor = WeightedRandomSampler(tg.tensor([1.0, 2.0]), 3)
    assert len(weighted_tensor) == 3 and set(weighted_tensor) <= {0, 1}
    with pytest.raises(ValueError, match="1d sequence"):
        WeightedRandomSampler([[1.0]], 2)
    with pytest.raises(ValueError, match="without replacement"):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    with pytest.raises(ValueError, match=">= 0"):
        WeightedRandomSampler([1.0, -1.0], 2)


@needs_torch
@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True),
                                                      (9, 3, True), (2, 5, False)])
def test_batch_sampler_matches_torch(n: int, batch_size: int, drop_last: bool) -> None:
    ours = BatchSampler(range(n), batch_size, drop_last)
    theirs = torch_data.BatchSampler(range(n), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_batch_sampler_errors() -> None:
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(3), True, False)
    with pytest.raises(TypeError, match="drop_last"):
        BatchSampler(range(3), 2, None)


@needs_torch
@pytest.mark.parametrize("n", [10, 11, 3])
@pytest.mark.parametrize("replicas", [1, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_matches_torch(n: int, replicas: int, drop_last: bool) -> None:
    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(data, replicas, rank, shuffle=False,
                                               drop_last=drop_last)
        assert list(ours) == list(theirs), (n, replicas, rank, drop_last)
        assert len(ours) == len(theirs)


def test_distributed_sampler_shuffle_and_epochs(monkeypatch: pytest.MonkeyPatch) -> None:
    data = list(range(12))
    samplers = [DistributedSampler(data, num_replicas=3, rank=r, seed=7) for r in range(3)]
    epoch0 = [list(s) for s in samplers]
    assert sorted(v for part in epoch0 for v in part) == data, "ranks must partition the data"
    assert [list(s) for s in samplers] == epoch0, "same epoch must give the same order"
    for s in samplers:
        s.set_epoch(1)
    assert [list(s) for s in samplers] != epoch0, "set_epoch must reshuffle"
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    from_env = DistributedSampler(data, shuffle=False)
    assert from_env.num_replicas == 2 and from_env.rank == 1 and list(from_env)[:2] == [1, 3]
    with pytest.raises(ValueError, match="Invalid rank 3"):
        DistributedSampler(data, num_replicas=3, rank=3)


# --- collation ----------------------------------------------------------------------------------


class Point(NamedTuple):
    x: Any
    label: Any


def _collate_cases() -> list[tuple[str, Any, Any]]:
    """(name, batch built with our tensors, the same batch with torch tensors or None)."""
    cases = [
        ("ints", [1, 2, 3], None),
        ("floats", [1.5, 2.0], None),
        ("bools", [True, False], None),
        ("an int, then floats (soft labels)", [0, 0.5, 1], None),
        ("a float, then an int", [1.5, 2], None),
        ("a bool, then an int", [True, 2], None),
        ("an int, then a NumPy float64", [1, np.float64(2.5)], None),
        ("a NumPy int, then a float", [np.int64(1), 2.5], None),
        ("NumPy int8 and int64 scalars", [np.int8(1), np.int64(300)], None),
        ("strings", ["a", "bc"], None),
        ("bytes", [b"a", b"b"], None),
        ("numpy uint8", [np.arange(4, dtype=np.uint8), np.ones(4, np.uint8)], None),
        ("numpy float32 2-D", [np.ones((2, 3), np.float32)] * 3, None),
        ("numpy scalars", [np.float32(1.5), np.float32(2)], None),
        ("numpy int scalars", [np.int32(1), np.int32(2)], None),
        ("tuple", [(1, "a", 2.0), (2, "b", 3.0)], None),
        ("list", [[1, 2], [3, 4]], None),
        ("dict", [{"x": 1, "y": [1.0, 2.0]}, {"x": 2, "y": [3.0, 4.0]}], None),
        ("ordered dict", [collections.OrderedDict(a=1), collections.OrderedDict(a=2)], None),
        ("namedtuple", [Point(1, "p"), Point(2, "q")], None),
        ("nested", [{"img": np.zeros((2, 2), np.uint8), "meta": (1, {"id": "a"})},
                    {"img": np.ones((2, 2), np.uint8), "meta": (2, {"id": "b"})}], None),
    ]
    out = []
    for name, batch, _ in cases:
        out.append((name, batch, batch))
    tensors = [np.arange(6, dtype=np.float32).reshape(2, 3), np.ones((2, 3), np.float32)]
    out.append(("tensors", [tg.from_numpy(a.copy()) for a in tensors],
                [torch.from_numpy(a.copy()) for a in tensors] if torch else None))
    ints = [np.array([1, 2]), np.array([3, 4])]
    out.append(("tensor pairs", [(tg.from_numpy(a.copy()), 0) for a in ints],
                [(torch.from_numpy(a.copy()), 0) for a in ints] if torch else None))
    return out


@needs_torch
@pytest.mark.parametrize("name, ours, theirs", _collate_cases(), ids=lambda v: str(v)[:20])
def test_default_collate_matches_torch(name: str, ours: Any, theirs: Any) -> None:
    expected = plain(torch_data.default_collate(theirs))
    got = plain(default_collate(ours))
    assert got == expected, f"{name}: got {got}, PyTorch gives {expected}"


@needs_torch
@pytest.mark.parametrize("sample", [np.arange(3, dtype=np.int16), np.float64(2.5), 3, "s",
                                    (np.zeros(2), 1), [np.ones(1)], {"a": np.zeros(2)},
                                    Point(np.ones(2), 1)], ids=str)
def test_default_convert_matches_torch(sample: Any) -> None:
    assert plain(default_convert(sample)) == plain(torch_data.default_convert(sample))


def test_default_collate_errors() -> None:
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([tg.zeros(2), tg.zeros(3)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([np.zeros(2), np.zeros(3)])


def test_default_collate_keeps_grad_path() -> None:
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([a, a])
    assert tuple(batch.shape) == (2, 2) and batch.requires_grad


# --- DataLoader: single process ---------------------------------------------------------------


def _tensor_dataset(n: int = 10) -> TensorDataset:
    x = tg.from_numpy(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    y = tg.from_numpy(np.arange(n, dtype=np.int64))
    return TensorDataset(x, y)


def _batches(loader: DataLoader) -> list[Any]:
    return [plain(batch) for batch in loader]


def test_loader_batches_and_len() -> None:
    ds = _tensor_dataset(10)
    loader = DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert tuple(batches[0][0].shape) == (4, 3) and tuple(batches[-1][0].shape) == (2, 3)
    assert batches[1][1].numpy().tolist() == [4, 5, 6, 7]
    assert batches[0][1].numpy().dtype == np.int64
    dropped = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and len(list(dropped)) == 2
    single = list(DataLoader(ds))  # batch_size=1 default
    assert len(single) == 10 and tuple(single[0][0].shape) == (1, 3)


def test_loader_no_auto_batching_and_custom_collate() -> None:
    ds = [np.full(2, i, dtype=np.int32) for i in range(3)]
    items = list(DataLoader(ds, batch_size=None))
    assert [tuple(t.shape) for t in items] == [(2,)] * 3
    assert isinstance(items[0], tg.Tensor) and items[2].numpy().tolist() == [2, 2]
    sizes = list(DataLoader(ds, batch_size=2, collate_fn=len))
    assert sizes == [2, 1]


def test_loader_sampler_and_batch_sampler() -> None:
    ds = _tensor_dataset(6)
    by_sampler = DataLoader(ds, batch_size=2, sampler=[5, 4, 3, 2, 1, 0])
    assert [b[1].numpy().tolist() for b in by_sampler] == [[5, 4], [3, 2], [1, 0]]
    by_batches = DataLoader(ds, batch_sampler=[[0, 5], [1]])
    assert [b[1].numpy().tolist() for b in by_batches] == [[0, 5], [1]]
    assert len(by_batches) == 2
    assert by_batches.batch_size is None and by_batches.drop_last is False


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_workers": -1}, "num_workers option should be non-negative"),
        ({"timeout": -1}, "timeout option should be non-negative"),
        ({"prefetch_factor": 2}, "prefetch_factor option could only be specified"),
        ({"num_workers": 1, "prefetch_factor": 0}, "prefetch_factor must be greater than 0"),
        ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
        ({"sampler": [0], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually"),
        ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually"),
        ({"batch_size": None, "drop_last": True}, "batch_size=None option disables"),
    ],
)
def test_loader_argument_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DataLoader(_tensor_dataset(2), **kwargs)


def test_loader_iterable_dataset_errors_and_frozen_attributes() -> None:
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        DataLoader(Counting(0, 3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler"):
        DataLoader(Counting(0, 3), sampler=[0])
    loader = DataLoader(_tensor_dataset(2), batch_size=2, pin_memory=True)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    assert loader.pin_memory is True and len(list(loader)) == 1  # pin_memory: a no-op


def test_loader_iterable_dataset_single_process() -> None:
    loader = DataLoader(Counting(0, 7), batch_size=3)
    assert [b.numpy().tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(loader) == 3
    loader = DataLoader(Counting(0, 7), batch_size=3, drop_last=True)
    assert [b.numpy().tolist() for b in loader] == [[0, 1, 2], [3, 4, 5]]
    assert list(DataLoader(Counting(0, 3), batch_size=None)) == [0, 1, 2]


def test_shuffle_reproducible_under_manual_seed_and_generator() -> None:
    ds = _tensor_dataset(20)
    tg.manual_seed(123)
    first = _batches(DataLoader(ds, batch_size=5, shuffle=True))
    tg.manual_seed(123)
    second = _batches(DataLoader(ds, batch_size=5, shuffle=True))
    assert first == second
    labels = sorted(v for b in first for v in b[1][1][2])
    assert labels == list(range(20)), "a shuffle must visit every sample once"
    g = tg.Generator()
    g.manual_seed(9)
    loader = DataLoader(ds, batch_size=5, shuffle=True, generator=g)
    epoch1, epoch2 = _batches(loader), _batches(loader)
    assert epoch1 != epoch2, "two epochs gave the same order"
    g.manual_seed(9)
    assert _batches(loader) == epoch1


# --- DataLoader: worker processes ----------------------------------------------------------------


class SeedReporter(Dataset):
    """Item i -> (i, worker id, worker seed, a NumPy draw, a library draw)."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> tuple[int, int, int, float, float]:
        info = get_worker_info()
        worker_id = -1 if info is None else info.id
        seed = -1 if info is None else info.seed
        return i, worker_id, seed, float(np.random.rand()), float(tg.rand(1).item())


class Failing(Dataset):
    def __init__(self, bad: int, error: type[BaseException] = ValueError) -> None:
        self.bad = bad
        self.error = error

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> int:
        if i == self.bad:
            raise self.error(f"bad sample {i}")
        return i


class Suicidal(Dataset):
    """Item `bad` kills the worker process that loads it (SIGKILL: no cleanup, no message)."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> int:
        if i == 5 and get_worker_info() is not None:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class Slow(Dataset):
    def __init__(self, delay: float, n: int = 6) -> None:
        self.delay, self.n = delay, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        time.sleep(self.delay)
        return i


class TwoArgError(Exception):
    def __init__(self, a: str, b: str) -> None:
        super().__init__(a, b)


@pytest.mark.parametrize("num_workers", [1, 2, 3])
def test_workers_identical_to_main_process(num_workers: int) -> None:
    ds = _tensor_dataset(23)
    tg.manual_seed(7)
    expected = _batches(DataLoader(ds, batch_size=4, shuffle=True))
    tg.manual_seed(7)
    got = _batches(DataLoader(ds, batch_size=4, shuffle=True, num_workers=num_workers))
    assert got == expected, f"num_workers={num_workers} changed the batches"
    # and the RNG stream after the epoch is the same too
    tg.manual_seed(7)
    list(DataLoader(ds, batch_size=4, shuffle=True))
    after_main = tg.rand(1).item()
    tg.manual_seed(7)
    list(DataLoader(ds, batch_size=4, shuffle=True, num_workers=num_workers))
    assert tg.rand(1).item() == after_main


def _rows(loader: DataLoader) -> list[tuple[Any, ...]]:
    """Batches of collated tuples -> the list of per-sample tuples."""
    return [row for batch in loader for row in zip(*(col.numpy().tolist() for col in batch))]


def test_worker_seeds_info_and_init_fn(tmp_path: Path) -> None:
    assert get_worker_info() is None

    def init_fn(worker_id: int) -> None:
        (tmp_path / f"init{worker_id}").write_text(str(get_worker_info().seed))

    def make_loader() -> DataLoader:
        return DataLoader(SeedReporter(), batch_size=2, num_workers=2, worker_init_fn=init_fn,
                          generator=g)

    g = tg.Generator()
    g.manual_seed(0)
    rows = _rows(make_loader())
    assert [row[0] for row in rows] == list(range(8))
    assert [row[1] for row in rows] == [0, 0, 1, 1, 0, 0, 1, 1], "tasks go round-robin"
    seeds = {row[1]: row[2] for row in rows}
    assert seeds[1] == seeds[0] + 1, f"worker seeds {seeds} are not base_seed + worker_id"
    assert [int((tmp_path / f"init{w}").read_text()) for w in (0, 1)] == [seeds[0], seeds[1]]
    assert len({row[3] for row in rows}) == 8, "workers must not share a NumPy random stream"
    assert len({row[4] for row in rows}) == 8, "workers must not share the library's stream"
    g.manual_seed(0)
    assert _rows(make_loader()) == rows, "worker randomness not reproducible"
    g.manual_seed(1)
    assert _rows(make_loader())[0][2] != rows[0][2], "a new generator seed, same worker seeds"


def test_worker_exception_reraised_with_traceback() -> None:
    loader = DataLoader(Failing(5), batch_size=2, num_workers=2)
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process") as info:
        list(loader)
    text = str(info.value)
    assert "bad sample 5" in text and "__getitem__" in text and "Traceback" in text
    with pytest.raises(KeyError, match="bad sample 3"):
        list(DataLoader(Failing(3, KeyError), num_workers=1))
    with pytest.raises(RuntimeError, match="Caught TwoArgError"):
        list(DataLoader(Failing(0, lambda m: TwoArgError(m, "x")), num_workers=1))
    with pytest.raises(ZeroDivisionError, match="worker_init_fn|division"):
        list(DataLoader(_tensor_dataset(2), num_workers=1, worker_init_fn=lambda w: 1 / 0))


def test_killed_worker_raises_within_timeout() -> None:
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="SIGKILL.*exited unexpectedly"):
        list(DataLoader(Suicidal(), batch_size=1, num_workers=2, timeout=10))
    elapsed = time.monotonic() - start
    assert elapsed < 5, f"a dead worker took {elapsed:.1f} s to detect"


def test_timeout_raises() -> None:
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        list(DataLoader(Slow(3.0, n=2), num_workers=1, timeout=0.3))
    assert time.monotonic() - start < 2.5


def test_early_break_and_gc_shut_workers_down() -> None:
    loader = DataLoader(_tensor_dataset(40), batch_size=2, num_workers=2)
    iterator = iter(loader)
    next(iterator)
    workers = list(iterator._workers)
    assert all(w.is_alive() for w in workers)
    del iterator  # what an early `break` does
    assert not any(w.is_alive() for w in workers)
    for _batch in loader:
        break
    del _batch


def test_ctrl_c_shuts_workers_down() -> None:
    """A terminal's Ctrl-C reaches the workers too: they ignore it, the main process stops."""
    iterator = iter(DataLoader(Slow(0.01, n=40), num_workers=2))
    assert next(iterator).item() == 0
    workers = list(iterator._workers)
    for worker in workers:
        os.kill(worker.pid, signal.SIGINT)
    time.sleep(0.1)
    assert all(w.is_alive() for w in workers), "a worker died of SIGINT"
    assert next(iterator).item() == 1
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)  # the interrupt arrives here
    del iterator
    assert not any(w.is_alive() for w in workers)


def test_workers_overlap() -> None:
    """Six items of 0.3 s with two workers take about half of 1.8 s."""
    start = time.monotonic()
    items = list(DataLoader(Slow(0.3), batch_size=None, num_workers=2))
    elapsed = time.monotonic() - start
    assert items == list(range(6))
    assert elapsed < 1.5, f"two workers took {elapsed:.2f} s for 1.8 s of serial work"


def test_iterable_dataset_with_workers() -> None:
    loader = DataLoader(Counting(0, 10), batch_size=2, num_workers=2)
    values = sorted(flat(loader))
    assert values == list(range(10))
    chained = list(DataLoader(ChainDataset([Counting(0, 3)]), batch_size=None, num_workers=2))
    assert sorted(chained) == [0, 1, 2]
    # a dataset that ignores get_worker_info() is read once per worker (PyTorch's behaviour)
    unsharded = list(DataLoader(Unsharded(), batch_size=None, num_workers=2))
    assert sorted(unsharded) == [0, 0, 1, 1, 2, 2]


def test_persistent_workers_and_prefetch() -> None:
    ds = _tensor_dataset(12)
    loader = DataLoader(ds, batch_size=3, num_workers=2, persistent_workers=True,
                        prefetch_factor=1)
    expected = _batches(DataLoader(ds, batch_size=3))
    first = _batches(loader)
    workers = list(loader._iterator._workers)
    for _ in loader:  # an interrupted epoch
        break
    assert _batches(loader) == first == expected
    assert loader._iterator._workers == workers and all(w.is_alive() for w in workers)
    iterable = DataLoader(Counting(0, 6), batch_size=2, num_workers=2, persistent_workers=True)
    epochs = [sorted(flat(iterable)) for _ in range(2)]
    assert epochs == [list(range(6))] * 2
    del loader, iterable
    assert not any(w.is_alive() for w in workers)
