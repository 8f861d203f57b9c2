"""pad_sequence: stack sequences of different lengths into one padded tensor."""

from collections.abc import Sequence

from tinygrad_edu.movement import stack
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
