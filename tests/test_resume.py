"""Checkpoint and resume: stop a training run mid-way, resume it in a NEW process from the
saved model, optimizer, scheduler, step and RNG state, and get bitwise the same losses and
weights as the run that never stopped."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Run as `python worker.py full|resume CHECKPOINT OUTPUT`. The model has every kind of state
# a checkpoint must carry: weights, BatchNorm running statistics (buffers), dropout (the
# RNG), AdamW with amsgrad (three state tensors and a step count per parameter), and a
# two-phase SequentialLR; each step also draws its batch from the global RNG.
WORKER = """
    import json
    import sys

    import tinygrad_edu as tg
    from tinygrad_edu import nn, optim
    from tinygrad_edu.optim import lr_scheduler
    from tinygrad_edu.serialization import load, save

    TOTAL_STEPS, SAVE_AT = 14, 6
    mode, checkpoint_path, output_path = sys.argv[1:4]


    def build(seed):
        tg.manual_seed(seed)
        model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.25),
                              nn.Linear(16, 1))
        optimizer = optim.AdamW(model.parameters(), lr=0.05, amsgrad=True)
        scheduler = lr_scheduler.SequentialLR(optimizer, [
            lr_scheduler.LinearLR(optimizer, start_factor=0.2, total_iters=4),
            lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)], milestones=[4])
        return model, optimizer, scheduler


    def train_step(model, optimizer, scheduler):
        x = tg.randn(8, 4)
        y = (x * tg.tensor([1.0, -2.0, 0.5, 3.0])).sum(1, keepdim=True) + 0.1 * tg.randn(8, 1)
        model.train()
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        return loss.item()


    if mode == "full":
        model, optimizer, scheduler = build(seed=0)
        losses = []
        for step in range(TOTAL_STEPS):
            if step == SAVE_AT:
                save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                      "scheduler": scheduler.state_dict(), "step": step,
                      "rng": tg.get_rng_state()}, checkpoint_path)
            losses.append(train_step(model, optimizer, scheduler))
    else:
        model, optimizer, scheduler = build(seed=12345)  # all the state must come from the file
        checkpoint = load(checkpoint_path)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        tg.set_rng_state(checkpoint["rng"])
        losses = [None] * checkpoint["step"]
        for step in range(checkpoint["step"], TOTAL_STEPS):
            losses.append(train_step(model, optimizer, scheduler))

    with open(output_path, "w") as file:
        json.dump({"losses": [None if loss is None else loss.hex() for loss in losses],
                   "lr": scheduler.get_last_lr(),
                   "weights": {name: tensor.numpy().tobytes().hex()
                               for name, tensor in model.state_dict().items()}}, file)
"""


def run_worker(tmp_path: pathlib.Path, mode: str) -> dict:
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER))
    output = tmp_path / f"{mode}.json"
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, str(script), mode, str(tmp_path / "checkpoint.tg"), str(output)],
        env=environment, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"{mode} run failed:\n{result.stderr[-3000:]}"
    return json.loads(output.read_text())


def test_resume_in_a_new_process_gives_bitwise_identical_losses(tmp_path: pathlib.Path) -> None:
    full = run_worker(tmp_path, "full")
    assert (tmp_path / "checkpoint.tg").exists()
    resumed = run_worker(tmp_path, "resume")
    start = resumed["losses"].count(None)
    assert start == 6
    expected, got = full["losses"][start:], resumed["losses"][start:]
    mismatches = [(start + k, float.fromhex(a), float.fromhex(b))
                  for k, (a, b) in enumerate(zip(expected, got)) if a != b]
    assert not mismatches, f"(step, uninterrupted loss, resumed loss): {mismatches}"
    assert resumed["lr"] == full["lr"]
    assert resumed["weights"] == full["weights"]
    assert len(set(full["losses"])) > 1  # training actually moved
