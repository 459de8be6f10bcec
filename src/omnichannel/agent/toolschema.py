"""JSON schemas for tools, read from their Python signatures."""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable
from typing import Any

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _type_schema(tp: Any) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if tp in _SCALARS:
        return {"type": _SCALARS[tp]}
    if origin in (list, tuple):
        (inner, *_rest) = typing.get_args(tp) or (str,)
        return {"type": "array", "items": _type_schema(inner)}
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _type_schema(options[0])
    raise TypeError(f"no JSON schema for {tp!r}")


def _param_docs(doc: str) -> dict[str, str]:
    """`name: description` lines under an `Args:` heading of a docstring."""
    out: dict[str, str] = {}
    in_args = False
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped == "Args:":
            in_args = True
            continue
        if in_args:
            m = re.match(r"(\w+):\s*(.+)", stripped)
            if m:
                out[m.group(1)] = m.group(2)
            elif stripped and not line.startswith("    "):
                in_args = False
    return out


def tool_schema(name: str, fn: Callable[..., Any]) -> dict[str, Any]:
    """An OpenAI-style function schema for a bound tool method."""
    hints = typing.get_type_hints(fn)
    doc = inspect.getdoc(fn) or ""
    described = _param_docs(doc)
    props: dict[str, Any] = {}
    required: list[str] = []
    for pname, param in inspect.signature(fn).parameters.items():
        if pname == "self":
            continue
        prop = _type_schema(hints[pname])
        if pname in described:
            prop["description"] = described[pname]
        props[pname] = prop
        if param.default is inspect.Parameter.empty:
            required.append(pname)
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": doc.split("\n\n")[0].strip(),
            "parameters": {"type": "object", "properties": props, "required": required,
                           "additionalProperties": False},
        },
    }


def check_args(fn: Callable[..., Any], args: dict[str, Any]) -> str | None:
    """A plain-language problem with the arguments, or None when they fit the signature."""
    hints = typing.get_type_hints(fn)
    params = {n: p for n, p in inspect.signature(fn).parameters.items() if n != "self"}
    unknown = sorted(set(args) - set(params))
    if unknown:
        return f"unknown argument(s): {', '.join(unknown)}"
    for pname, param in params.items():
        if pname not in args:
            if param.default is inspect.Parameter.empty:
                return f"missing argument: {pname}"
            continue
        schema = _type_schema(hints[pname])
        value = args[pname]
        if schema["type"] == "array":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return f"{pname} must be a list of strings"
        elif schema["type"] == "string" and not isinstance(value, str):
            return f"{pname} must be a string"
        elif schema["type"] == "number" and not isinstance(value, int | float):
            return f"{pname} must be a number"
    return None
