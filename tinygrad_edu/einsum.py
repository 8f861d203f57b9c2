"""einsum: products and sums named by letters, `einsum("bij,bjk->bik", a, b)`.

Each letter names a dimension. A letter in the output is kept; a letter missing from the
output is summed over. So "ij,jk->ik" is a matrix product (j is summed), "ij->ji" a
transpose, "ii->i" a diagonal, "i,i->" a dot product. Without "->" the output is every
letter that appears once, in alphabetical order. "..." stands for the leading dimensions
that are not named (broadcast between operands, as in matmul).

How it is computed, with ops that already exist (and so autograd for free):
1. per operand: a repeated letter becomes a diagonal ("ii" -> "i"), and a letter that no
   other operand and not the output uses is summed away at once;
2. operands are combined left to right, two at a time. For a pair, every letter is either
   batch (in both, still needed), contracted (in both, needed no more), or belongs to one
   side. Permuted and reshaped to (batch, left, contracted) and (batch, contracted, right),
   the pair is one batched matmul (bmm): the letters' sizes multiply, so any number of
   letters of each kind costs one product;
3. the result is permuted into the output's letter order.
"""

from __future__ import annotations

import math
import string
from typing import Any

from tinygrad_edu import composite as C
from tinygrad_edu import movement as M
from tinygrad_edu.tensor import Tensor


def einsum(equation: str, *operands: Any) -> Any:
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs, output = _parse(equation.replace(" ", ""), operands)
    named = []
    for letters, x in zip(inputs, operands):
        letters, x = _take_diagonals(letters, x)
        named.append((letters, x))
    for k, (letters, x) in enumerate(named):  # sum away what nothing else needs
        others = set(output).union(*(set(n[0]) for j, n in enumerate(named) if j != k))
        dropped = [i for i, letter in enumerate(letters) if letter not in others]
        if dropped:
            x = C.sum(x, tuple(dropped))
            letters = "".join(letter for letter in letters if letter in others)
        named[k] = (letters, x)
    letters, result = named[0]
    for k in range(1, len(named)):
        later = set(output).union(*(set(n[0]) for n in named[k + 1:]))
        letters, result = _contract(letters, result, *named[k], later)
    missing = [letter for letter in letters if letter not in output]
    if missing:  # a lone operand's letters that the output drops
        result = C.sum(result, tuple(letters.index(letter) for letter in missing))
        letters = "".join(letter for letter in letters if letter in output)
    if letters != output:
        result = M.permute(result, *[letters.index(letter) for letter in output])
    return result


def _parse(equation: str, operands: tuple) -> tuple:
    """([letters of each operand], output letters), with "..." spelled out as capitals."""
    left, arrow, right = equation.partition("->")
    terms = left.split(",")
    if len(terms) != len(operands):
        raise ValueError("einsum(): more operands were provided than specified in the "
                         "equation" if len(operands) > len(terms) else
                         "einsum(): fewer operands were provided than specified in the "
                         "equation")
    for x in operands:
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum(): operands must be Tensors, got {type(x).__name__}")
    spare = [c for c in string.ascii_uppercase if c not in equation]
    counts = []  # how many dims each operand's "..." stands for
    for k, (term, x) in enumerate(zip(terms, operands)):
        named = len(term.replace("...", ""))
        if named > x.ndim or (named != x.ndim and "..." not in term):
            hint = "" if "..." in term else " and no ellipsis was given"
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                               f"does not match the number of dimensions ({x.ndim}) for "
                               f"operand {k}{hint}")
        counts.append(x.ndim - named)
    ellipsis_dims = max(counts)
    # "..." as capitals, right-aligned: an operand with fewer such dims takes the last ones
    spelled = [term.replace("...", "".join(spare[ellipsis_dims - count:ellipsis_dims]))
               for term, count in zip(terms, counts)]
    batch = "".join(spare[:ellipsis_dims])
    if arrow:
        output = right.replace("...", batch)
    else:
        counts = {c: "".join(spelled).count(c) for c in set("".join(spelled))}
        output = batch + "".join(sorted(c for c, n in counts.items()
                                        if n == 1 and c not in batch))
    for letter in output:
        if letter not in "".join(spelled):
            raise RuntimeError(f"einsum(): output subscript {letter} does not appear in the "
                               "equation for any input operand")
        if output.count(letter) > 1:
            raise RuntimeError(f"einsum(): output subscript {letter} appears more than once "
                               "in the output")
    return spelled, output


def _take_diagonals(letters: str, x: Any) -> tuple:
    """"ii" -> "i": each repeated letter becomes the diagonal of its two dims (a view)."""
    while len(set(letters)) != len(letters):
        letter = next(c for c in letters if letters.count(c) > 1)
        first = letters.index(letter)
        second = letters.index(letter, first + 1)
        if x._shape[first] != x._shape[second]:
            raise RuntimeError(f"einsum(): subscript {letter} is repeated for operand but the "
                               f"sizes don't match, {x._shape[second]} != {x._shape[first]}")
        x = M.diagonal(x, 0, first, second)  # the diagonal becomes the last dim
        letters = "".join(c for i, c in enumerate(letters) if i not in (first, second)) + letter
    return letters, x


def _contract(a_letters: str, a: Any, b_letters: str, b: Any, later: set) -> tuple:
    """Combine two operands with one bmm (module docstring, step 2)."""
    batch = [c for c in a_letters if c in b_letters and c in later]
    summed = [c for c in a_letters if c in b_letters and c not in later]
    left = [c for c in a_letters if c not in b_letters]
    right = [c for c in b_letters if c not in a_letters]
    sizes = {}
    for letters, x in ((a_letters, a), (b_letters, b)):
        for i, c in enumerate(letters):
            size = x._shape[i]
            if sizes.get(c, 1) not in (1, size) and size != 1:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes "
                                   f"(original->remapped): {list(a._shape)} and "
                                   f"{list(b._shape)} (subscript {c}: {sizes[c]} vs {size})")
            sizes[c] = max(sizes.get(c, 1), size)

    def arranged(letters: str, x: Any, order: list) -> Any:
        x = M.permute(x, *[letters.index(c) for c in order])
        return M.expand(x, tuple(sizes[c] if c in batch or c in summed else x._shape[i]
                                 for i, c in enumerate(order)))

    def size(group: list) -> int:
        return math.prod(sizes[c] for c in group)

    a3 = M.reshape(arranged(a_letters, a, batch + left + summed),
                   (size(batch), size(left), size(summed)))
    b3 = M.reshape(arranged(b_letters, b, batch + summed + right),
                   (size(batch), size(summed), size(right)))
    product = C.bmm(a3, b3)
    shape = tuple(sizes[c] for c in batch + left + right)
    return "".join(batch + left + right), M.reshape(product, shape)
