"""nn.utils.rnn packing (PackedSequence, pack_padded_sequence, pad_packed_sequence,
pack_sequence, unpad/unpack) and RNN/LSTM/GRU on packed batches, compared with PyTorch."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn.utils import rnn

torch = pytest.importorskip("torch")


def both(array):
    return tg.tensor(array), torch.tensor(array)


def close(ours, theirs, tol=1e-5):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol,
                               atol=tol)


@pytest.mark.parametrize("lengths, enforce_sorted, batch_first", [
    ([4, 3, 3, 1], True, False), ([2, 4, 1, 4], False, False), ([3, 1, 2], False, True),
    ([1], True, True),
])
def test_pack_and_pad_round_trip_as_pytorch(lengths, enforce_sorted, batch_first):
    rng = np.random.default_rng(0)
    shape = (len(lengths), 4, 2) if batch_first else (4, len(lengths), 2)
    ours_x, theirs_x = both(rng.standard_normal(shape).astype(np.float32))
    ours = rnn.pack_padded_sequence(ours_x, lengths, batch_first, enforce_sorted)
    theirs = torch.nn.utils.rnn.pack_padded_sequence(theirs_x, lengths, batch_first,
                                                     enforce_sorted)
    close(ours.data, theirs.data)
    assert ours.batch_sizes.tolist() == theirs.batch_sizes.tolist()
    if enforce_sorted:
        assert ours.sorted_indices is None and theirs.sorted_indices is None
    else:
        assert ours.sorted_indices.tolist() == theirs.sorted_indices.tolist()
        assert ours.unsorted_indices.tolist() == theirs.unsorted_indices.tolist()
    padded, got_lengths = rnn.pad_packed_sequence(ours, batch_first, padding_value=-1.0,
                                                  total_length=5)
    expected, expected_lengths = torch.nn.utils.rnn.pad_packed_sequence(
        theirs, batch_first, padding_value=-1.0, total_length=5)
    close(padded, expected)
    assert got_lengths.tolist() == expected_lengths.tolist()


def test_pack_sequence_unpack_and_unpad():
    sequences = [np.arange(n * 3, dtype=np.float32).reshape(n, 3) + n for n in (2, 5, 3)]
    ours = rnn.pack_sequence([tg.tensor(s) for s in sequences], enforce_sorted=False)
    theirs = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in sequences],
                                              enforce_sorted=False)
    close(ours.data, theirs.data)
    for got, want in zip(rnn.unpack_sequence(ours), sequences):
        np.testing.assert_array_equal(got.numpy(), want)
    padded = rnn.pad_sequence([tg.tensor(s) for s in sequences], batch_first=True)
    for got, want in zip(rnn.unpad_sequence(padded, [2, 5, 3], batch_first=True), sequences):
        np.testing.assert_array_equal(got.numpy(), want)


def test_packing_errors_match_pytorch():
    x = tg.zeros(3, 2, 1)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        rnn.pack_padded_sequence(x, [1, 3])
    with pytest.raises(RuntimeError, match="greater than 0"):
        rnn.pack_padded_sequence(x, [3, 0])
    packed = rnn.pack_padded_sequence(x, [3, 2])
    with pytest.raises(ValueError, match="total_length to be at least"):
        rnn.pad_packed_sequence(packed, total_length=2)


@pytest.mark.parametrize("kind, options", [
    ("RNN", {}), ("LSTM", {"num_layers": 2}), ("GRU", {"bidirectional": True}),
    ("LSTM", {"bidirectional": True, "proj_size": 2}),
])
def test_recurrent_layers_on_packed_batches_match_pytorch(kind, options):
    rng = np.random.default_rng(1)
    torch.manual_seed(1)  # PyTorch's initial weights, copied into ours: the same every run
    lengths = [2, 5, 1, 4]
    ours_layer = getattr(nn, kind)(3, 4, **options)
    theirs_layer = getattr(torch.nn, kind)(3, 4, **options)
    with torch.no_grad():
        for name, parameter in theirs_layer.named_parameters():
            getattr(ours_layer, name).data.copy_(tg.tensor(parameter.numpy()))
    ours_x, theirs_x = both(rng.standard_normal((5, 4, 3)).astype(np.float32))
    ours_x.requires_grad_(True)
    theirs_x.requires_grad_(True)
    directions = 2 if options.get("bidirectional") else 1
    layers = options.get("num_layers", 1) * directions
    h_size = options.get("proj_size") or 4
    ours_h0, theirs_h0 = both(rng.standard_normal((layers, 4, h_size)).astype(np.float32))
    if kind == "LSTM":
        ours_c0, theirs_c0 = both(rng.standard_normal((layers, 4, 4)).astype(np.float32))
        ours_h0, theirs_h0 = (ours_h0, ours_c0), (theirs_h0, theirs_c0)
    ours_out, ours_state = ours_layer(
        rnn.pack_padded_sequence(ours_x, lengths, enforce_sorted=False), ours_h0)
    theirs_out, theirs_state = theirs_layer(
        torch.nn.utils.rnn.pack_padded_sequence(theirs_x, lengths, enforce_sorted=False),
        theirs_h0)
    close(ours_out.data, theirs_out.data)
    ours_states = ours_state if kind == "LSTM" else (ours_state,)
    theirs_states = theirs_state if kind == "LSTM" else (theirs_state,)
    for got, want in zip(ours_states, theirs_states):
        close(got, want)
    (ours_out.data.sum() + ours_states[0].pow(2).sum()).backward()
    (theirs_out.data.sum() + theirs_states[0].pow(2).sum()).backward()
    close(ours_x.grad, theirs_x.grad, 1e-4)
    for name, parameter in theirs_layer.named_parameters():
        close(getattr(ours_layer, name).grad, parameter.grad, 1e-4)
