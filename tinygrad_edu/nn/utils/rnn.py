"""Sequences of different lengths: pad them to one length (pad_sequence), or pack them so
that an RNN runs only their real steps (pack_padded_sequence, PackedSequence)."""

from collections.abc import Sequence
from typing import Any, NamedTuple

from tinygrad_edu import dtypes
from tinygrad_edu.creation import full, tensor
from tinygrad_edu.movement import cat, stack
from tinygrad_edu.nn.functional.shape import pad
from tinygrad_edu.tensor import Tensor


def pad_sequence(sequences: Tensor | Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Sequences (L_i, *) -> (T, B, *) (batch_first: (B, T, *)), T = max L_i, each padded
    with padding_value after its end (padding_side='left': before its start).

    The result has the first sequence's dtype (the others are cast to it), as PyTorch. Each
    sequence is padded (F.pad) and the results stacked, so gradients flow to every input.
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError("Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    sequences = list(sequences.unbind(0) if isinstance(sequences, Tensor) else sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if any(s.ndim == 0 for s in sequences):
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
    trailing = tuple(sequences[0].shape[1:])
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for sequence in sequences:
        for axis, (want, got) in enumerate(zip(trailing, sequence.shape[1:]), 1):
            if want != got:
                raise RuntimeError(f"The size of tensor a ({want}) must match the size of "
                                   f"tensor b ({got}) at non-singleton dimension {axis}")
        extra = longest - sequence.shape[0]
        sides = (0, extra) if padding_side == "right" else (extra, 0)
        sequence = sequence.to(sequences[0].dtype)
        padded.append(pad(sequence, (0, 0) * len(trailing) + sides, value=padding_value)
                      if extra else sequence)
    return stack(padded, 0 if batch_first else 1)


# ---------------------------------------------------------------------------- packing
#
# A batch of sequences of different lengths, padded to the longest, wastes the RNN's work on
# the padding, and (worse) lets the padding flow into the final hidden state. Packing keeps
# only the real steps, time-major: sort the sequences by length (longest first); then step t
# holds batch_sizes[t] rows, the sequences still running at t, which are always the first
# ones. Lengths [3, 2, 1] pack as  data = [a0 b0 c0 | a1 b1 | a2],  batch_sizes = [3, 2, 1].


class PackedSequence(NamedTuple):
    """data (sum of lengths, *): the steps of every sequence, time-major, longest first;
    batch_sizes (T,) int64 on the CPU: how many sequences run at each step; sorted_indices:
    the batch order used (None: the input was sorted already); unsorted_indices: its inverse.
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args: Any, **kwargs: Any) -> "PackedSequence":
        return self._replace(data=self.data.to(*args, **kwargs))


def _lengths_list(lengths: Any) -> list:
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D tensor, but got a "
                               f"{lengths.ndim}D tensor")
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """input (T, B, *) ((B, T, *) with batch_first), lengths (B,) -> PackedSequence.

    enforce_sorted=False sorts the batch by decreasing length first (a stable sort) and
    remembers the order, so pad_packed_sequence and the RNNs give results in the input's
    order."""
    sizes = _lengths_list(lengths)
    batch_dim = 0 if batch_first else 1
    if len(sizes) != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(sizes)} (batch_size={input.shape[batch_dim]})")
    if sizes and min(sizes) <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if enforce_sorted:
        if any(a < b for a, b in zip(sizes, sizes[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        order = None
    else:
        order = sorted(range(len(sizes)), key=lambda k: -sizes[k])  # stable
        input = input.index_select(batch_dim, tensor(order, dtype=dtypes.int64))
        sizes = [sizes[k] for k in order]
    if batch_first:
        input = input.transpose(0, 1)
    longest = sizes[0] if sizes else 0
    if longest > input.shape[0]:
        raise RuntimeError(f"Expected the longest length {longest} to be at most the "
                           f"sequence length {input.shape[0]}")
    batch_sizes = [sum(1 for size in sizes if size > t) for t in range(longest)]
    data = cat([input[t, :count] for t, count in enumerate(batch_sizes)], 0)
    return _packed(data, batch_sizes, order)


def _packed(data: Tensor, batch_sizes: list, order: list | None) -> PackedSequence:
    """A PackedSequence, with the inverse permutation of `order` worked out."""
    if order is None:
        return PackedSequence(data, tensor(batch_sizes, dtype=dtypes.int64))
    inverse = [0] * len(order)
    for position, k in enumerate(order):
        inverse[k] = position
    return PackedSequence(data, tensor(batch_sizes, dtype=dtypes.int64),
                          tensor(order, dtype=dtypes.int64), tensor(inverse, dtype=dtypes.int64))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None) -> tuple:
    """The inverse of pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths (B,)),
    in the original batch order; total_length pads T further (to at least the longest)."""
    data, batch_sizes = sequence.data, [int(v) for v in sequence.batch_sizes.tolist()]
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and "
                             f"max sequence length being {steps}")
        steps = total_length
    batch = batch_sizes[0] if batch_sizes else 0
    rows, start = [], 0
    for count in batch_sizes:
        step = data[start:start + count]
        start += count
        if count < batch:
            step = pad(step, (0, 0) * (data.ndim - 1) + (0, batch - count), value=padding_value)
        rows.append(step)
    trailing = tuple(data.shape[1:])
    for _ in range(steps - len(batch_sizes)):
        rows.append(full((batch,) + trailing, padding_value, dtype=data.dtype,
                         device=data.device))
    padded = stack(rows, 0) if rows else data.new_zeros((0, batch) + trailing)
    lengths = [sum(1 for count in batch_sizes if count > b) for b in range(batch)]
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = [lengths[k] for k in sequence.unsorted_indices.tolist()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, tensor(lengths, dtype=dtypes.int64)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors: pad_sequence, then pack_padded_sequence."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> list:
    """The inverse of pad_sequence: a list of the sequences, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [row[:length] for row, length in zip(padded_sequences, _lengths_list(lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The inverse of pack_sequence: the list of sequences, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
