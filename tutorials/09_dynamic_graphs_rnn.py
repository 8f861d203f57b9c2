# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 09 — Dynamic graphs: a character-level LSTM
#
# So far every input had the same shape. Text does not: lines have different lengths. A
# **recurrent** network reads a sequence one step at a time, carrying a hidden state, and
# with a define-by-run library like this one (and PyTorch) the step loop is a plain Python
# `for` loop. Each batch therefore builds a graph *as long as its sequences*: the graph is a
# record of what ran, not a fixed program. We train a small LSTM to write lines of verse,
# one character at a time.
#
# The text, `tutorials/data/small_verses.txt`, was written for this tutorial (48 short rhyming
# lines, CC0, see `small_verses.LICENSE.txt` next to it).

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as torch
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
import tinygrad_edu.optim as optim
from tinygrad_edu import viz

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # the test suite runs a shrunken version
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # in a notebook there is no __file__; the notebook sits in tutorials/
    HERE = Path.cwd()
OUT = HERE / "out"
OUT.mkdir(exist_ok=True)
print("fast mode:", FAST, "| figures go to", OUT)

# %% [markdown]
# ## 1. Characters to numbers
#
# The vocabulary is every character in the text plus one marker, `|`, that stands for both
# "start of line" (the first input) and "end of line" (the last target). A line of length
# $L$ becomes $L + 1$ inputs and $L + 1$ targets, each target the input shifted by one: the
# model always predicts the *next* character.

# %%
lines = (HERE / "data" / "small_verses.txt").read_text().splitlines()
characters = sorted(set("".join(lines)))
vocabulary = ["|"] + characters
index_of = {ch: i for i, ch in enumerate(vocabulary)}
print(f"{len(lines)} lines, {len(vocabulary)} symbols: {''.join(vocabulary)!r}")
print("line lengths from", min(map(len, lines)), "to", max(map(len, lines)))


def encode(line):
    """'the' -> inputs [|, t, h, e], targets [t, h, e, |] (as indices)."""
    codes = [index_of[ch] for ch in line]
    return [0] + codes, codes + [0]


inputs, targets = encode("the cat")
print("inputs ", inputs, "\ntargets", targets)

# %% [markdown]
# ## 2. One step at a time: the graph grows with the sequence
#
# An RNN cell computes $h_t = \tanh(W_{x} x_t + W_{h} h_{t-1} + b)$ and the same weights are
# used at every step. Running it over a sequence in a Python loop records one copy of the
# cell's operations per step. Below, a tiny `RNNCell` reads a 2-step and a 4-step input; the
# drawings of their graphs (and the node counts) differ, though the code is the same.


# %%
def count_nodes(tensor):
    """Nodes reachable from tensor.grad_fn: the size of the graph backward will walk."""
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(child for child, _ in node.next_functions)
    return len(seen)


torch.manual_seed(0)
tiny = nn.RNNCell(1, 2)
for steps in (2, 4):
    h = torch.zeros(1, 2)
    for t in range(steps):
        h = tiny(torch.full((1, 1), float(t)), h)
    output = h.sum()
    viz.draw_graph(output, OUT / f"09_rnn_graph_{steps}_steps.png", title=f"{steps} steps")
    print(f"{steps} steps: {count_nodes(output)} graph nodes")
print("wrote", OUT / "09_rnn_graph_2_steps.png", "and", OUT / "09_rnn_graph_4_steps.png")

# %% [markdown]
# ## 3. The model
#
# `nn.Embedding` turns each character index into a learned vector, an `nn.LSTMCell` (an RNN
# cell with gates that decide what to keep, forget and output, so that it can carry
# information over many steps) updates the state $(h, c)$, and a `Linear` layer turns $h$
# into a score for every possible next character.


# %%
class CharLSTM(nn.Module):
    def __init__(self, n_symbols, n_embed=16, n_hidden=128):
        super().__init__()
        self.n_hidden = n_hidden
        self.embed = nn.Embedding(n_symbols, n_embed)
        self.cell = nn.LSTMCell(n_embed, n_hidden)
        self.head = nn.Linear(n_hidden, n_symbols)

    def forward(self, codes, state=None):
        """codes (batch, steps) -> logits (batch, steps, n_symbols), final state."""
        batch, steps = codes.shape
        if state is None:
            state = (torch.zeros(batch, self.n_hidden), torch.zeros(batch, self.n_hidden))
        vectors = self.embed(codes)  # (batch, steps, n_embed)
        outputs = []
        for t in range(steps):  # the loop that makes the graph as long as the input
            state = self.cell(vectors[:, t], state)
            outputs.append(self.head(state[0]))
        return torch.stack(outputs, dim=1), state


torch.manual_seed(0)
model = CharLSTM(len(vocabulary))
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()))

# %% [markdown]
# ## 4. Batches of different lengths: pad and mask
#
# To process several lines at once we pad the shorter ones to the longest line *of the
# batch* and give the padded positions the target `-100`, which `cross_entropy` ignores
# (`ignore_index`). Each batch is as long as its own longest line, so the graph size changes
# from batch to batch.

# %%
IGNORE = -100


def make_batch(batch_lines):
    encoded = [encode(line) for line in batch_lines]
    steps = max(len(x) for x, _ in encoded)
    x = np.zeros((len(encoded), steps), dtype=np.int64)
    y = np.full((len(encoded), steps), IGNORE, dtype=np.int64)
    for row, (codes, next_codes) in enumerate(encoded):
        x[row, :len(codes)] = codes
        y[row, :len(next_codes)] = next_codes
    return torch.from_numpy(x), torch.from_numpy(y)


x, y = make_batch(["the owl", "a cat sat"])
print("inputs\n", x, "\ntargets (-100 = padding, ignored)\n", y)

# %% [markdown]
# ## 5. Training
#
# Gradients through many steps of an RNN can blow up, so we clip their total norm with
# `nn.utils.clip_grad_norm_` before each step: a standard precaution for recurrent nets.

# %%
EPOCHS = 6 if FAST else 60
BATCH = 8
optimizer = optim.Adam(model.parameters(), lr=1e-2)
rng = np.random.default_rng(0)
losses, graph_sizes, batch_lengths = [], [], []
start = time.perf_counter()
for epoch in range(EPOCHS):
    order = rng.permutation(len(lines))
    for first in range(0, len(order), BATCH):
        x, y = make_batch([lines[i] for i in order[first:first + BATCH]])
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(vocabulary)), y.reshape(-1),
                               ignore_index=IGNORE)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        optimizer.step()
        losses.append(loss.item())
        if epoch == 0:
            graph_sizes.append(count_nodes(loss))
            batch_lengths.append(x.shape[1])
    if epoch % max(1, EPOCHS // 6) == 0 or epoch == EPOCHS - 1:
        print(f"epoch {epoch:3d}: loss {np.mean(losses[-len(order) // BATCH:]):.3f} "
              f"({time.perf_counter() - start:.0f} s)")

fig, (loss_ax, graph_ax) = plt.subplots(1, 2, figsize=(10, 3.5))
loss_ax.plot(losses)
loss_ax.set_xlabel("step")
loss_ax.set_ylabel("cross-entropy per character")
loss_ax.axhline(np.log(len(vocabulary)), color="gray", ls="--", label="uniform guess")
loss_ax.legend()
graph_ax.scatter(batch_lengths, graph_sizes)
graph_ax.set_xlabel("longest line in the batch (steps)")
graph_ax.set_ylabel("nodes in the graph")
graph_ax.set_title("one graph per batch, as long as the batch", fontsize=10)
fig.tight_layout()
fig.savefig(OUT / "09_training.png", dpi=100)
plt.close(fig)
print("graph sizes in the first epoch:", sorted(set(graph_sizes)))

# %% [markdown]
# ## 6. Writing new lines
#
# To generate, feed the start marker, turn the scores into probabilities with a softmax
# divided by a **temperature** (low: safe, repetitive; high: adventurous, misspelt), draw the
# next character, feed it back, and stop at the end marker. The loop runs for as many steps
# as the line it happens to write: another graph whose length only the data decides (under
# `no_grad` nothing is recorded, of course).


# %%
def write_line(temperature=0.8, max_length=60):
    state, code, text = None, 0, ""
    with torch.no_grad():
        for _ in range(max_length):
            logits, state = model(torch.tensor([[code]]), state)
            probabilities = (logits[0, -1] / temperature).softmax(dim=0)
            code = int(torch.multinomial(probabilities, 1).item())
            if code == 0:
                break
            text += vocabulary[code]
    return text


torch.manual_seed(1)
for temperature in (0.5, 1.0):
    print(f"temperature {temperature}:")
    for _ in range(3):
        line = write_line(temperature)
        print("   ", line, "   (in the text)" if line in lines else "")

# %% [markdown]
# After the full run (60 epochs) the model has memorised most of the 48 lines (very little
# data for 78,000 parameters), so it mostly writes lines of the text, and at the higher
# temperature sometimes a new combination or a misspelt word. In fast mode it has barely
# started: mostly short words and the rhythm of the lines. Exercise 5 is the cure for the
# memorising.
#
# ## Exercises
#
# 1. Replace `nn.LSTMCell` by `nn.GRUCell` or `nn.RNNCell` (mind that those return `h`, not
#    `(h, c)`). Which learns fastest here?
# 2. Remove the gradient clipping and raise the learning rate to 0.05. What happens to the
#    loss curve?
# 3. Sort the lines by length before batching (bucketing). How do the graph sizes and the
#    time per epoch change? Why is some shuffling still needed?
# 4. Make the model read a line and *then* predict its length (a regression head on the final
#    `h`). The loop length still depends on the data: where does the gradient flow?
# 5. Train on a text of your own (a few KB of plain text). How does the loss per character
#    compare with the uniform guess $\log(\text{vocabulary size})$?
