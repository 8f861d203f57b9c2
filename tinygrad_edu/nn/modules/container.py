"""Containers: modules that hold other modules.

    Sequential   runs its children in order: Sequential(Linear(2, 8), ReLU(), Linear(8, 1))
    ModuleList   a list of modules (registered, so their parameters are found); no forward
    ModuleDict   a dict of modules by name; no forward
    ParameterList, ParameterDict   the same for parameters (a plain Tensor becomes one)
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from tinygrad_edu.nn.functional.layers import linear_relu
from tinygrad_edu.nn.modules.activation import ReLU
from tinygrad_edu.nn.modules.linear import Linear
from tinygrad_edu.nn.modules.module import Module, _addindent
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.tensor import Tensor


def _index(index: Any, size: int, kind: str) -> int:
    """index as a non-negative int below size, or PyTorch's IndexError."""
    index = operator.index(index)
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of range")
    return index + size if index < 0 else index


class Sequential(Module):
    """Apply the child modules one after the other: forward(x) = m_n(...m_2(m_1(x))).

    One difference from PyTorch, on purpose: a Linear followed directly by a ReLU (both plain,
    without hooks) runs as one fused op, `linear_relu`: one kernel adds the bias and applies
    the ReLU to the product, and the graph gets one node (named ReluBackward0, as the ReLU's)
    instead of two. The numbers are identical; what differs is the graph a learner inspects:
    that node's next_functions lead straight to the Linear's input, weight and bias. This is
    kernel fusion, what torch.compile does to such a pair; it makes a digits-MLP training
    step ~5% faster (benchmarks/train.py). To see PyTorch's two nodes, call the modules
    yourself: `relu(linear(x))`.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for number, module in enumerate(args):
                self.add_module(str(number), module)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        position = _index(index, len(self), "Sequential")
        return next(islice(iter(self._modules.values()), position, None))

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[_index(index, len(self), "Sequential")]
        setattr(self, key, module)

    def __delitem__(self, index: Any) -> None:
        keys = list(self._modules)
        targets = keys[index] if isinstance(index, slice) else \
            [keys[_index(index, len(self), "Sequential")]]
        for key in targets:
            delattr(self, key)
        # renumber, as PyTorch does, so that indexing stays contiguous
        items = list(self._modules.items())
        self._modules.clear()
        for number, (_, module) in enumerate(items):
            self._modules[str(number)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __add__(self, other: "Sequential") -> "Sequential":
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        result = Sequential()
        for module in list(self) + list(other):
            result.append(module)
        return result

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "Sequential":
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> "Sequential":
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        size = len(self)
        if not -size <= index <= size:
            raise IndexError(f"Index out of range: {index}")
        index = index + size if index < 0 else index
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for number, item in enumerate(modules):
            self._modules[str(number)] = item
        return self

    def pop(self, index: int) -> Module:
        module = self[index]
        del self[index]
        return module

    def forward(self, input: Any) -> Any:
        modules = tuple(self._modules.values())
        index = 0
        while index < len(modules):
            module = modules[index]
            if index + 1 < len(modules) and _fusable(module, modules[index + 1], input):
                input = linear_relu(input, module.weight, module.bias)
                index += 2  # the ReLU is done
            else:
                input = module(input)
                index += 1
        return input


def _fusable(module: Module, after: Module, input: Any) -> bool:
    """Whether `module` then `after` may run as linear_relu on `input`: exactly a Linear and
    a ReLU (not subclasses, which may change forward), no forward hooks on either to be
    skipped, and a matrix input (a batch of rows; on more dims the output's node would be
    a reshape's, not ReluBackward0)."""
    return (type(module) is Linear and type(after) is ReLU and not module._forward_hooks
            and not module._forward_pre_hooks and not after._forward_hooks
            and not after._forward_pre_hooks and isinstance(input, Tensor)
            and len(input._shape) == 2)


class ModuleList(Module):
    """A list of modules, registered as children named "0", "1", ..."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[str(_index(index, len(self), "ModuleList"))]

    def __setitem__(self, index: int, module: Module) -> None:
        setattr(self, str(_index(index, len(self), "ModuleList")), module)

    def __delitem__(self, index: Any) -> None:
        keys = list(self._modules)
        targets = keys[index] if isinstance(index, slice) else \
            [keys[_index(index, len(self), "ModuleList")]]
        for key in targets:
            del self._modules[key]
        modules = list(self._modules.values())
        self._modules.clear()
        for number, module in enumerate(modules):
            self._modules[str(number)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> "ModuleList":
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> "ModuleList":
        return ModuleList(list(self) + list(other))

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        if isinstance(modules, (Module, str)) or not hasattr(modules, "__iter__"):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for number, item in enumerate(modules):
            self.add_module(str(number), item)

    def pop(self, index: int = -1) -> Module:
        module = self[index]
        del self[index]
        return module

    def __repr__(self) -> str:
        """Runs of identical children print once: `(0-2): 3 x Linear(...)` (PyTorch 2.x)."""
        reprs = [repr(module) for module in self]
        if not reprs:
            return self._get_name() + "()"
        blocks: list = []  # [first, last, text]
        for number, text in enumerate(reprs):
            if blocks and blocks[-1][2] == text:
                blocks[-1][1] = number
            else:
                blocks.append([number, number, text])
        lines = []
        for first, last, text in blocks:
            line = f"({first}): {text}" if first == last else \
                f"({first}-{last}): {last - first + 1} x {text}"
            lines.append(_addindent(line, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of modules by name (names become attribute names)."""

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def update(self, modules: Mapping[str, Module] | Iterable) -> None:
        if isinstance(modules, Mapping):
            for key, module in modules.items():
                self[key] = module
            return
        for number, pair in enumerate(modules):
            if not hasattr(pair, "__iter__") or isinstance(pair, str):
                raise TypeError("ModuleDict update sequence element #" + str(number)
                                + " should be Iterable; is" + type(pair).__name__)
            pair = tuple(pair)
            if len(pair) != 2:
                raise ValueError("ModuleDict update sequence element #" + str(number)
                                 + " has length " + str(len(pair)) + "; 2 is required")
            self[pair[0]] = pair[1]


def _parameter_line(key: Any, value: Any, kind: str) -> str:
    """One line of a ParameterList/Dict repr: '  (0): Parameter containing: [... of size 2x3]'
    (kind: the dtype for a list, the tensor type name for a dict, as PyTorch prints them)."""
    if not isinstance(value, Tensor):
        return f"  ({key}): Object of type: {type(value).__name__}"
    size = "x".join(str(n) for n in value.shape)
    device = f" ({value.device})" if value.device.type == "cuda" else ""
    label = "Parameter" if isinstance(value, Parameter) else "Tensor"
    return f"  ({key}): {label} containing: [{kind} of size {size}{device}]"


class ParameterList(Module):
    """A list of parameters, registered under the names "0", "1", ... (so that
    `parameters()`, `state_dict()` and optimizers see them). A plain Tensor put in is made a
    Parameter; other objects are kept as they are (not registered)."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _key(self, index: Any) -> str:
        return str(_index(index, len(self), "ParameterList"))

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            out = type(self)()
            for position in range(*index.indices(len(self))):
                out.append(self[position])
            return out
        return getattr(self, self._key(index))

    def __setitem__(self, index: int, value: Any) -> None:
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, self._key(index), value)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return iter(self[position] for position in range(len(self)))

    def __iadd__(self, values: Iterable[Any]) -> "ParameterList":
        return self.extend(values)

    def __dir__(self) -> list:
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value: Any) -> "ParameterList":
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> "ParameterList":
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_parameter_line(k, p, str(p.dtype) if isinstance(p, Tensor) else "")
                         for k, p in enumerate(self))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of parameters by (string) name, registered under that name. A plain
    Tensor put in is made a Parameter. `update` from a plain dict adds its keys in sorted
    order (an OrderedDict, ParameterDict or list of pairs keeps its order), as PyTorch."""

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self._keys: dict = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _key_to_attr(key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is not "
                            f"a string (type is '{type(key).__name__}'). Open an issue on "
                            "github if you need non-string keys.")
        return key

    def __getitem__(self, key: str) -> Any:
        return getattr(self, self._key_to_attr(key))

    def __setitem__(self, key: str, value: Any) -> None:
        self._keys[key] = None
        attr = self._key_to_attr(key)
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, attr, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, self._key_to_attr(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._keys)

    def __contains__(self, key: Any) -> bool:
        return key in self._keys

    def copy(self) -> "ParameterDict":
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple:
        key, _ = self._keys.popitem()  # KeyError when empty, as PyTorch
        self._keys[key] = None
        return key, self.pop(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> "ParameterDict":
        return ParameterDict((k, default) for k in keys)

    def keys(self) -> Any:
        return self._keys.keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        return ((k, self[k]) for k in self._keys)

    def values(self) -> Iterable[Any]:
        return (self[k] for k in self._keys)

    def update(self, parameters: Any) -> None:
        if not isinstance(parameters, Iterable):
            raise TypeError("ParametersDict.update should be called with an iterable of "
                            "key/value pairs, but got " + type(parameters).__name__)
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            for key, value in parameters.items():
                self[key] = value
        elif isinstance(parameters, Mapping):
            for key, value in sorted(parameters.items()):
                self[key] = value
        else:
            for number, pair in enumerate(parameters):
                if not isinstance(pair, Iterable):
                    raise TypeError("ParameterDict update sequence element #" + str(number)
                                    + " should be Iterable; is" + type(pair).__name__)
                if len(pair) != 2:
                    raise ValueError("ParameterDict update sequence element #" + str(number)
                                     + " has length " + str(len(pair)) + "; 2 is required")
                self[pair[0]] = pair[1]

    def extra_repr(self) -> str:
        return "\n".join(_parameter_line(k, p, p.type() if isinstance(p, Tensor) else "")
                         for k, p in self.items())

    def __call__(self, input: Any) -> Any:
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other: "ParameterDict") -> "ParameterDict":
        result = self.copy()
        result.update(other)
        return result

    def __ror__(self, other: "ParameterDict") -> "ParameterDict":
        result = other.copy()
        result.update(self)
        return result

    def __ior__(self, other: "ParameterDict") -> "ParameterDict":
        self.update(other)
        return self
