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
# # 11 — Attention and a tiny GPT
#
# The LSTM of tutorial 09 carries everything it knows about the past in one state vector,
# updated one step at a time. **Attention** lets every position look at every earlier
# position directly: each position asks a question (a *query*), every position offers a
# label (a *key*) and a content (a *value*), and the answer is an average of the values,
# weighted by how well each key matches the query. There is no loop over time: a whole
# sequence is a few matrix products.
#
# We write attention by hand and check it against `F.scaled_dot_product_attention`, split it
# into heads and check that against `nn.MultiheadAttention`, then build and train a tiny
# character-level GPT on the verses of tutorial 09 (`tutorials/data/small_verses.txt`, CC0)
# and let it write. Last, the same block ready-made: `nn.TransformerEncoderLayer`.

# %%
import math
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as torch
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
import tinygrad_edu.optim as optim

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # the test suite runs a shrunken version
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # in a notebook there is no __file__; the notebook sits in tutorials/
    HERE = Path.cwd()
OUT = HERE / "out"
OUT.mkdir(exist_ok=True)
print("fast mode:", FAST, "| figures go to", OUT)

# %% [markdown]
# ## 1. Attention by hand
#
# Five tokens, each a vector of size 4 (random here; in a model they come from embeddings).
# Three `Linear` layers turn each token into its query, key and value. The score of query
# $i$ against key $j$ is their dot product, all at once as `q @ k.T`, divided by
# $\sqrt{d}$ (why: below). A **causal** mask then forbids looking ahead: position $i$ may
# only see positions $j \le i$, the lower triangle (`tril`); the others get $-\infty$, which
# the softmax turns into weight 0. Each row of weights sums to 1, and the output of a
# position is its row of weights times the values.

# %%
torch.manual_seed(0)
T, d = 5, 4
x = torch.randn(T, d)  # (T, d): one row per token
to_query, to_key, to_value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
with torch.no_grad():
    q, k, v = to_query(x), to_key(x), to_value(x)  # each (T, d)
    scores = q @ k.T / math.sqrt(d)  # (T, T): scores[i, j] = q_i . k_j / sqrt(d)
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))  # True on and below the diagonal
    scores = scores.masked_fill(~allowed, float("-inf"))
    weights = scores.softmax(dim=-1)  # (T, T), each row sums to 1
    out = weights @ v  # (T, d): a weighted sum of the values, per position
    library = F.scaled_dot_product_attention(q, k, v, is_causal=True)

np.set_printoptions(precision=2, suppress=True)
print("attention weights (row = query position, column = key position):")
print(weights.numpy())
print("row sums:", weights.sum(dim=-1).numpy())
print("same as F.scaled_dot_product_attention(is_causal=True):", torch.allclose(out, library))

fig, ax = plt.subplots(figsize=(3.6, 3.2))
ax.imshow(weights.numpy(), cmap="Blues", vmin=0, vmax=1)
for i in range(T):
    for j in range(T):
        ax.text(j, i, f"{weights[i, j].item():.2f}", ha="center", va="center", fontsize=8)
ax.set_xlabel("key position j")
ax.set_ylabel("query position i")
ax.set_title("causal attention weights", fontsize=10)
fig.tight_layout()
fig.savefig(OUT / "11_attention_weights.png", dpi=100)
plt.close(fig)
print("wrote", OUT / "11_attention_weights.png")

# %% [markdown]
# Row 0 can only look at itself (weight 1.00); the last row spreads over all five. Why the
# $\sqrt{d}$: a dot product of two random vectors with unit-variance entries has variance
# $d$, so without the scale the scores grow with the width, and the softmax of large scores
# is nearly one-hot (one weight near 1, gradients near 0). Dividing by $\sqrt{d}$ keeps the
# scores near unit spread whatever $d$ is:

# %%
for width in (4, 64, 1024):
    a, b = torch.randn(1000, width), torch.randn(1000, width)
    raw = (a * b).sum(dim=-1)
    print(f"d = {width:4d}: std of q.k {raw.std().item():6.2f}, "
          f"of q.k / sqrt(d) {(raw / math.sqrt(width)).std().item():.2f}")

# %% [markdown]
# ## 2. Multi-head attention
#
# One attention mixes the values with one set of weights. **Multi-head** attention runs $H$
# smaller ones side by side, each on its own slice of size $E / H$ of the projections, so
# that different heads can attend to different things (the previous character, the start of
# the word, ...). No loop over heads is needed: a `view` splits the last dimension into
# (heads, head size) and a `transpose` moves the heads next to the batch, where matmul
# treats them as more batch entries. One `Linear` of size $3E$ makes q, k and v at once.

# %%
B, T, E, H = 2, 5, 8, 2  # batch, time, embedding, heads; head size E // H = 4
torch.manual_seed(0)
x = torch.randn(B, T, E)
qkv = nn.Linear(E, 3 * E)  # q, k, v projections stacked: weight (3E, E)
proj = nn.Linear(E, E)  # mixes the heads' outputs back together


def multi_head_attention(x, qkv, proj, n_heads):
    """x (B, T, E) -> (B, T, E): causal self-attention with n_heads heads."""
    B, T, E = x.shape
    q, k, v = qkv(x).split(E, dim=2)  # three (B, T, E)
    q = q.view(B, T, n_heads, E // n_heads).transpose(1, 2)  # (B, H, T, E/H)
    k = k.view(B, T, n_heads, E // n_heads).transpose(1, 2)  # (B, H, T, E/H)
    v = v.view(B, T, n_heads, E // n_heads).transpose(1, 2)  # (B, H, T, E/H)
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, E/H)
    y = y.transpose(1, 2).contiguous().view(B, T, E)  # heads side by side again: (B, T, E)
    return proj(y)


with torch.no_grad():
    ours = multi_head_attention(x, qkv, proj, H)

# the library's module, with our weights copied in (PyTorch names them the same way)
mha = nn.MultiheadAttention(E, H, batch_first=True)
with torch.no_grad():
    mha.in_proj_weight.copy_(qkv.weight)  # (3E, E): rows 0:E make q, E:2E k, 2E:3E v
    mha.in_proj_bias.copy_(qkv.bias)
    mha.out_proj.weight.copy_(proj.weight)
    mha.out_proj.bias.copy_(proj.bias)
    # its bool mask is True where attention is NOT allowed: the part above the diagonal
    above = torch.ones(T, T, dtype=torch.bool).triu(1)
    theirs, head_weights = mha(x, x, x, attn_mask=above, average_attn_weights=False)
print("x", tuple(x.shape), "-> ours", tuple(ours.shape), "| weights per head",
      tuple(head_weights.shape))
print("same as nn.MultiheadAttention:", torch.allclose(ours, theirs, atol=1e-6),
      f"(max difference {(ours - theirs).abs().max().item():.1e})")

# %% [markdown]
# The `.contiguous()` matters: after `transpose` the heads of one position are no longer
# next to each other in memory, and `view` only reinterprets memory (tutorial 02), so it
# needs a copy first (`reshape` would make it for you).
#
# ## 3. The text, as numbers
#
# The same 48 lines as in tutorial 09, read as one stream of characters (newlines
# included). A training example is a random window of `BLOCK` characters; the targets are
# the same window shifted by one: at every position the model predicts the next character,
# so one window gives `BLOCK` predictions to learn from.

# %%
text = (HERE / "data" / "small_verses.txt").read_text()
vocabulary = sorted(set(text))
index_of = {ch: i for i, ch in enumerate(vocabulary)}
data = torch.tensor([index_of[ch] for ch in text])  # (N,) int64
print(f"{len(text)} characters, {len(vocabulary)} symbols: {''.join(vocabulary)!r}")

BLOCK = 64  # the longest context the model sees (about two lines)


def get_batch(batch_size):
    """Random windows: x (batch, BLOCK) and y = x shifted by one (batch, BLOCK)."""
    starts = torch.randint(0, len(data) - BLOCK - 1, (batch_size,))
    positions = starts[:, None] + torch.arange(BLOCK)  # (batch, BLOCK) by broadcasting
    return data[positions], data[positions + 1]


x, y = get_batch(2)
print("x[0]:", repr("".join(vocabulary[i] for i in x[0].tolist()[:30])), "...")
print("y[0]:", repr("".join(vocabulary[i] for i in y[0].tolist()[:30])), "...")

# %% [markdown]
# ## 4. A tiny GPT
#
# GPT-2's design at toy size. A token embedding says *which* character, a position
# embedding says *where* (attention itself ignores order: it is a weighted sum). Then
# blocks of two steps, each added back to its input (a **residual**: every block only has
# to learn a correction, and the gradient has a direct path, through the additions, back to
# the first layers):
#
#     x = x + attention(LayerNorm(x))    # look at earlier characters
#     x = x + MLP(LayerNorm(x))          # think about what was seen, one position at a time
#
# with a 4x wider MLP and GELU, a final LayerNorm, and a head that scores every character.
# The head shares its weight with the token embedding (**weight tying**): the vector that
# reads a character in is the one that scores it out, which saves parameters and helps
# small models. Weights start small (normal, std 0.02, as GPT-2), so the first predictions
# are close to uniform.
#
# The causal mask is added to the scores as a float tensor, 0 where allowed and $-\infty$
# above the diagonal: the same result as `masked_fill` (section 1). In this library it is
# also much faster: at these sizes, forward and backward, over ten times faster than
# `scaled_dot_product_attention(is_causal=True)`, whose masking goes through an elementwise
# `where` that is (for now) a plain strided loop on one core.


# %%
class CausalSelfAttention(nn.Module):
    def __init__(self, n_embed, n_heads, block_size):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(n_embed, 3 * n_embed)
        self.proj = nn.Linear(n_embed, n_embed)
        mask = torch.full((block_size, block_size), float("-inf")).triu(1)  # 0 on/below diag
        self.register_buffer("mask", mask, persistent=False)
        self.weights = None  # the last attention weights, kept for the picture in section 6

    def forward(self, x):
        B, T, E = x.shape
        q, k, v = self.qkv(x).split(E, dim=2)
        q, k, v = (z.view(B, T, self.n_heads, E // self.n_heads).transpose(1, 2)
                   for z in (q, k, v))  # (B, H, T, E/H)
        scores = q @ k.transpose(-2, -1) / math.sqrt(E // self.n_heads)  # (B, H, T, T)
        weights = (scores + self.mask[:T, :T]).softmax(dim=-1)
        self.weights = weights.detach()
        y = (weights @ v).transpose(1, 2).contiguous().view(B, T, E)
        return self.proj(y)


class Block(nn.Module):
    def __init__(self, n_embed, n_heads, block_size):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embed)
        self.attn = CausalSelfAttention(n_embed, n_heads, block_size)
        self.ln2 = nn.LayerNorm(n_embed)
        self.mlp = nn.Sequential(nn.Linear(n_embed, 4 * n_embed), nn.GELU(),
                                 nn.Linear(4 * n_embed, n_embed))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    def __init__(self, n_symbols, block_size=BLOCK, n_embed=64, n_heads=4, n_layers=2):
        super().__init__()
        self.block_size = block_size
        self.token_embedding = nn.Embedding(n_symbols, n_embed)
        self.position_embedding = nn.Embedding(block_size, n_embed)
        self.blocks = nn.ModuleList([Block(n_embed, n_heads, block_size)
                                     for _ in range(n_layers)])
        self.ln_f = nn.LayerNorm(n_embed)
        self.head = nn.Linear(n_embed, n_symbols, bias=False)
        self.head.weight = self.token_embedding.weight  # weight tying: one (V, E) tensor
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, codes):
        """codes (B, T) -> logits (B, T, n_symbols)."""
        B, T = codes.shape
        x = self.token_embedding(codes) + self.position_embedding(torch.arange(T))  # (B, T, E)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


torch.manual_seed(0)
model = TinyGPT(len(vocabulary))
print("tied:", model.head.weight is model.token_embedding.weight,
      "| parameters:", sum(p.numel() for p in model.parameters()))  # a shared one counts once
logits = model(x)
loss = F.cross_entropy(logits.view(-1, len(vocabulary)), y.view(-1))
print("logits", tuple(logits.shape), f"| loss at the start {loss.item():.3f}",
      f"(uniform guess: log {len(vocabulary)} = {math.log(len(vocabulary)):.3f})")

# causal: changing the last character changes no earlier prediction
changed = x.clone()
changed[:, -1] = (changed[:, -1] + 1) % len(vocabulary)
with torch.no_grad():
    difference = (model(changed) - logits.detach()).abs().amax(dim=(0, 2))  # per position
print("largest change at positions 0..T-2:", difference[:-1].max().item(),
      f"| at the last: {difference[-1].item():.1e}")

# %% [markdown]
# ## 5. Training: AdamW and a cosine schedule
#
# **AdamW** is Adam with the weight decay applied to the weights directly (decoupled),
# rather than added to the gradient, where Adam's scaling would weaken it. As in nanoGPT, only
# matrices decay; biases and LayerNorm's scales and shifts do not (two parameter groups).
# The learning rate follows half a **cosine**, high while the loss falls fast and small at
# the end to settle into a minimum; `CosineAnnealingLR` stepped once per batch does it.

# %%
STEPS = 100 if FAST else 1200
BATCH = 16
LR = 3e-3
matrices = [p for p in model.parameters() if p.dim() >= 2]
vectors = [p for p in model.parameters() if p.dim() < 2]
optimizer = optim.AdamW([{"params": matrices, "weight_decay": 0.1},
                         {"params": vectors, "weight_decay": 0.0}], lr=LR, betas=(0.9, 0.99))
scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS, eta_min=LR / 10)

torch.manual_seed(1)
losses, rates = [], []
start = time.perf_counter()
for step in range(STEPS):
    x, y = get_batch(BATCH)
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, len(vocabulary)), y.view(-1))
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
    rates.append(scheduler.get_last_lr()[0])
    scheduler.step()
    losses.append(loss.item())
    if step % max(1, STEPS // 8) == 0 or step == STEPS - 1:
        print(f"step {step:4d}: loss {np.mean(losses[-20:]):.3f}, lr {rates[-1]:.5f} "
              f"({time.perf_counter() - start:.0f} s)")

fig, (loss_ax, lr_ax) = plt.subplots(1, 2, figsize=(10, 3.5))
loss_ax.plot(losses, alpha=0.4, label="per batch")
smooth = np.convolve(losses, np.ones(20) / 20, mode="valid")
loss_ax.plot(np.arange(19, len(losses)), smooth, label="mean of 20")
loss_ax.axhline(math.log(len(vocabulary)), color="gray", ls="--", label="uniform guess")
loss_ax.set_xlabel("step")
loss_ax.set_ylabel("cross-entropy per character")
loss_ax.legend()
lr_ax.plot(rates)
lr_ax.set_xlabel("step")
lr_ax.set_ylabel("learning rate")
lr_ax.set_title("CosineAnnealingLR", fontsize=10)
fig.tight_layout()
fig.savefig(OUT / "11_training.png", dpi=100)
plt.close(fig)
print("wrote", OUT / "11_training.png")

# %% [markdown]
# ## 6. Writing, and what the heads look at
#
# To write, feed a start (here a newline), take the scores of the *last* position, divide
# by a **temperature**, softmax, draw one character with `torch.multinomial`, append it, and
# repeat, cropping the context to the last `BLOCK` characters (the position embedding has no
# more rows). Low temperatures sharpen the distribution (safe, repetitive), high ones
# flatten it (adventurous, misspelt). `model.eval()` and `no_grad` since nothing is learned.


# %%
def write(model, n_characters, temperature=0.8, prompt="\n"):
    codes = torch.tensor([[index_of[ch] for ch in prompt]])  # (1, T)
    model.eval()
    with torch.no_grad():
        for _ in range(n_characters):
            logits = model(codes[:, -model.block_size:])  # (1, T, V)
            probabilities = (logits[0, -1] / temperature).softmax(dim=0)  # (V,)
            next_code = torch.multinomial(probabilities, 1)  # (1,): one draw
            codes = torch.cat([codes, next_code[None]], dim=1)
    model.train()
    return "".join(vocabulary[i] for i in codes[0].tolist())


torch.manual_seed(2)
for temperature in (0.5, 1.0):
    print(f"--- temperature {temperature}:", write(model, 60 if FAST else 200, temperature))

# %% [markdown]
# After the full run (1,200 steps, a minute or two on two cores) the loss is near 0.1 nat
# per character, against 3.26 for a uniform guess: the model knows the verses nearly by
# heart and recites them line after line, mostly in the order of the text (64 characters of
# context hold the line before, which says which line comes next); at temperature 1.0 it
# now and then slips into another line or drops a letter. 1.6 KB of text is little for
# 100,000 parameters: it memorises rather than generalises (exercise 4). In fast mode it
# has only learnt the common letters, short words and spaces.
#
# Which characters did the heads of the first block look at? The module kept its last
# weights; run one line through it and draw them.

# %%
line = "the moon is round the moon is white"
with torch.no_grad():
    model(torch.tensor([[index_of[ch] for ch in line]]))
first_heads = model.blocks[0].attn.weights[0]  # (H, T, T)
fig, axes = plt.subplots(1, first_heads.shape[0], figsize=(3.5 * first_heads.shape[0], 3.8))
for head, ax in enumerate(axes):
    ax.imshow(first_heads[head].numpy(), cmap="Blues")  # each head its own colour scale
    ax.set_xticks(range(len(line)), list(line), fontsize=6)
    ax.set_yticks(range(len(line)), list(line), fontsize=6)
    ax.set_title(f"block 0, head {head}", fontsize=10)
fig.tight_layout()
fig.savefig(OUT / "11_trained_attention.png", dpi=100)
plt.close(fig)
print("wrote", OUT / "11_trained_attention.png")

# %% [markdown]
# All four are lower-triangular: the mask at work. Each head has its own pattern: most of
# the weight spread over the last few characters, and a few bright spots where a head
# fixes on one particular earlier character (exercise 7 asks which). The first character
# gets a strong weight in the first rows simply because there is little else to look at.
#
# ## 7. The ready-made block: `nn.TransformerEncoderLayer`
#
# Our `Block` is exactly a pre-norm transformer layer: `nn.TransformerEncoderLayer` with
# `norm_first=True` (LayerNorm *before* each step, as in GPT-2; the original paper put it
# after), `activation="gelu"`, a feed-forward 4x wide, and `dropout=0.0` (ours has none).
# `batch_first=True` takes (B, T, E) as ours does. "Encoder" means it has no attention to a
# second sequence; the causal mask, passed as `src_mask`, is what makes it a GPT block:
# `nn.Transformer.generate_square_subsequent_mask(T)`, the float mask of section 4.

# %%
print(nn.Transformer.generate_square_subsequent_mask(4))


def as_encoder_layer(block):
    """A TransformerEncoderLayer holding the same weights as our Block."""
    n_embed, n_heads = block.ln1.normalized_shape[0], block.attn.n_heads
    layer = nn.TransformerEncoderLayer(n_embed, n_heads, dim_feedforward=4 * n_embed,
                                       dropout=0.0, activation="gelu", batch_first=True,
                                       norm_first=True)
    with torch.no_grad():
        pairs = [(layer.norm1, block.ln1), (layer.norm2, block.ln2),
                 (layer.linear1, block.mlp[0]), (layer.linear2, block.mlp[2]),
                 (layer.self_attn.out_proj, block.attn.proj)]
        for theirs, ours in pairs:
            theirs.weight.copy_(ours.weight)
            theirs.bias.copy_(ours.bias)
        layer.self_attn.in_proj_weight.copy_(block.attn.qkv.weight)
        layer.self_attn.in_proj_bias.copy_(block.attn.qkv.bias)
    return layer


layers = [as_encoder_layer(block) for block in model.blocks]
mask = nn.Transformer.generate_square_subsequent_mask(BLOCK)  # (BLOCK, BLOCK)
x, _ = get_batch(4)
with torch.no_grad():
    ours = model(x)
    h = model.token_embedding(x) + model.position_embedding(torch.arange(BLOCK))
    for layer in layers:  # TinyGPT.forward with the library's layers in place of our blocks
        h = layer(h, src_mask=mask, is_causal=True)
    theirs = model.head(model.ln_f(h))
print("trained GPT with nn.TransformerEncoderLayer blocks gives the same logits:",
      torch.allclose(ours, theirs, atol=1e-4),
      f"(max difference {(ours - theirs).abs().max().item():.1e})")

# %% [markdown]
# The same trained model, built from the library's layers;
# `nn.TransformerEncoder(layer, num_layers)` would stack them for you. The
# `is_causal=True` is only a hint that the mask is causal (PyTorch may then pick a faster
# kernel); the mask itself is still required.
#
# ## Exercises
#
# 1. Remove the mask in `CausalSelfAttention` (keep the scores as they are). The training
#    loss falls much lower, yet the writing gets worse. Why? (What can position $i$ see?)
# 2. Remove the division by $\sqrt{d}$ and train with head size 64 (`n_heads=1`). Compare
#    the loss curves; print the largest attention weight of a few rows.
# 3. Remove the position embedding. What can the model still learn, and what not? Try
#    writing with it.
# 4. Hold out the last 10% of the text and print its loss every 200 steps. When does the
#    held-out loss stop falling while the training loss goes on? Add `nn.Dropout(0.1)` on the
#    attention weights and after each block's MLP: does the gap shrink?
# 5. Untie the head (delete the line with "weight tying"). How many parameters more, and
#    does the loss after 2,000 steps change?
# 6. Generation recomputes the keys and values of the whole context for every character.
#    Keep the keys and values of earlier positions (a *KV cache*) so each step computes
#    only the newest position. How much faster is writing 200 characters?
# 7. Find the bright spots in `11_trained_attention.png`: for each head, print for every
#    position the character it attends to most (`weights.argmax(dim=-1)`). Is there a rule
#    (the previous space, the same letter, the previous vowel)? Do the same for block 1.
