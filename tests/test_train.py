"""The training command line (`python -m tinygrad_edu.train`), in quick runs: it trains, prints
the test accuracy per epoch, writes the curves, saves checkpoints, and a resumed run continues
exactly where the saved one stopped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EPOCH_LINE = re.compile(
    r"Epoch (\d+)/(\d+): train loss (\S+) \| Test set: Average loss: (\S+), "
    r"Accuracy: (\d+)/(\d+) \((\d+\.\d\d)%\)")
QUICK = ["--limit-batches", "3", "--batch-size", "32", "--quiet"]
MLP = ["--model", "mlp", "--hidden", "32"]


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "tinygrad_edu.train", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)


def epoch_lines(stdout: str) -> list[tuple[str, ...]]:
    return [match.groups() for match in EPOCH_LINE.finditer(stdout)]


def test_digits_mlp_prints_accuracy_and_writes_plot(tmp_path: Path) -> None:
    plot = tmp_path / "curves" / "digits.png"
    result = run_cli("--epochs", "2", "--lr", "0.01", "--plot", str(plot), *MLP, *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = epoch_lines(result.stdout)
    assert [line[:2] for line in lines] == [("1", "2"), ("2", "2")], result.stdout
    for *_, correct, count, percent in lines:
        assert count == "360"  # the digits test split
        assert 0 <= int(correct) <= 360
        assert float(percent) == pytest.approx(100 * int(correct) / 360, abs=0.006)
    assert int(lines[-1][4]) > 36, "3 batches of Adam should beat chance (10%)"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Final test accuracy" in result.stdout


def test_resume_continues_the_same_run(tmp_path: Path) -> None:
    """2 epochs in one go == 1 epoch, save, then resume for the second, to the last digit.

    A per-epoch StepLR, whose values do not depend on the planned number of epochs (a cosine
    schedule does: a 1-epoch run and a 2-epoch run differ from the first step on). Dropout
    and shuffling use the RNG, so its state must come back too.
    """
    run = ("--scheduler", "step", "--gamma", "0.5", *MLP, *QUICK)
    straight = run_cli("--epochs", "2", "--plot", "", *run)
    assert straight.returncode == 0, straight.stderr[-3000:]
    checkpoint = tmp_path / "run.tgedu"
    first = run_cli("--epochs", "1", "--save-model", str(checkpoint), "--plot", "", *run)
    assert first.returncode == 0, first.stderr[-3000:]
    assert checkpoint.is_file()
    plot = tmp_path / "resumed.png"
    resumed = run_cli("--resume", str(checkpoint), "--epochs", "2", "--save-model",
                      str(checkpoint), "--plot", str(plot), "--quiet")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    lines = epoch_lines(resumed.stdout)
    assert [line[0] for line in lines] == ["2"], resumed.stdout  # only the missing epoch
    # epoch 1 of the first run and epoch 2 of the resumed run match the straight run exactly
    assert epoch_lines(first.stdout)[0][2:] == epoch_lines(straight.stdout)[0][2:]
    assert lines[0][2:] == epoch_lines(straight.stdout)[1][2:]
    assert plot.is_file()

    import tinygrad_edu as tg

    saved = tg.load(str(checkpoint))
    assert saved["epoch"] == 2
    assert saved["history"]["epoch"] == [1, 2]
    assert saved["args"]["dataset"] == "digits" and saved["args"]["scheduler"] == "step"
    assert saved["args"]["model"] == "mlp" and saved["args"]["hidden"] == [32]
    assert set(saved) >= {"model", "optimizer", "scheduler", "rng", "history"}

    again = run_cli("--resume", str(checkpoint), "--epochs", "2", "--plot", "", "--quiet")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "nothing to train" in again.stdout and not epoch_lines(again.stdout)


def test_digits_cnn_and_workers(tmp_path: Path) -> None:
    result = run_cli("--epochs", "1", "--workers", "1", "--optimizer", "sgd", "--plot", "",
                     *QUICK)  # the default model: the small CNN, with the shift augmentation
    assert result.returncode == 0, result.stderr[-3000:]
    lines = epoch_lines(result.stdout)
    assert len(lines) == 1 and lines[0][5] == "360", result.stdout


def test_mnist_mlp_quick() -> None:
    from tinygrad_edu.vision import datasets

    try:
        datasets.MNIST(train=False)
    except FileNotFoundError:
        pytest.skip("MNIST files not found")
    result = run_cli("--dataset", "mnist", "--epochs", "1", "--optimizer", "adamw",
                     "--plot", "", *MLP, *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = epoch_lines(result.stdout)
    assert len(lines) == 1 and lines[0][5] == "10000", result.stdout


def test_bad_arguments_are_refused() -> None:
    result = run_cli("--epochs", "0")
    assert result.returncode == 2 and "--epochs must be at least 1" in result.stderr
    result = run_cli("--hidden", "12,x")
    assert result.returncode == 2 and "--hidden" in result.stderr


def test_models_have_the_documented_shapes() -> None:
    import tinygrad_edu as tg
    from tinygrad_edu.train import build_model

    tg.manual_seed(0)
    for name, size, hidden in (("mlp", 8, [128, 64]), ("cnn", 8, []), ("cnn", 28, []),
                               ("mlp", 28, [32])):
        model = build_model(name, size, hidden).eval()
        with tg.no_grad():
            out = model(tg.randn(2, 1, size, size))
        assert tuple(out.shape) == (2, 10), (name, size)
    mlp = build_model("mlp", 8, [128, 64])
    assert [tuple(p.shape) for p in mlp.parameters()] == [(128, 64), (128,), (64, 128), (64,),
                                                          (10, 64), (10,)]
