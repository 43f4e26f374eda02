"""The one result class of robustgames.

In the spirit of :class:`scipy.optimize.OptimizeResult`, but deliberately *not* a ``dict``
subclass: a dict would shadow payload names such as ``values`` and ``items`` with its own
methods (``sol.values`` must be the value array of a solution).
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np


class Result:
    """Attribute container returned by every solver, evaluator and learner.

    Fields are passed as keyword arguments and read as attributes (``res.value``).
    ``keys()`` lists them in insertion order, ``res["name"]`` also works, and
    ``to_dict()`` gives a plain dictionary. The ``repr`` shows scalars in full and
    arrays by shape and dtype, so printing a result never floods a terminal.
    """

    def __init__(self, **fields: Any) -> None:
        object.__setattr__(self, "_fields", dict(fields))

    def __getattr__(self, name: str) -> Any:
        fields = object.__getattribute__(self, "_fields")
        try:
            return fields[name]
        except KeyError:
            raise AttributeError(
                f"result has no field {name!r}; fields: {', '.join(fields) or '(none)'}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._fields[name] = value

    def __getitem__(self, name: str) -> Any:
        return self._fields[name]

    def __contains__(self, name: object) -> bool:
        return name in self._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._fields))

    def keys(self):
        """Names of the fields, in insertion order."""
        return list(self._fields)

    def to_dict(self) -> dict:
        """A plain ``dict`` copy of the fields."""
        return dict(self._fields)

    def __repr__(self) -> str:
        if not self._fields:
            return "Result()"
        width = max(len(k) for k in self._fields)
        lines = [f"{k.rjust(width)}: {_summary(v)}" for k, v in self._fields.items()]
        return "Result(\n" + "\n".join("  " + line for line in lines) + "\n)"

    def __reduce__(self):
        return (_rebuild, (self._fields,))


def _rebuild(fields):
    return Result(**fields)


def _summary(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return " ".join(np.array2string(value, precision=6, separator=", ").split())
        return f"array(shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"{type(value).__name__} of {len(value)} items"
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."
