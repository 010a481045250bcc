"""JSON from clients, decoded with bounds: request bodies and the tool-call arguments inside them.

Both are checked the same way (no NaN/Infinity, bounded nesting, no lone surrogate), since decoded
arguments reach the chat template and the worker just like the body's own text.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from app.server.api_errors import ApiError

MAX_DEPTH = 32  # OpenAI's bodies nest 5 deep; json's own limit is the interpreter's recursion
LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads joins proper pairs; any left is alone


def parse_json(data: bytes) -> Any:
    """The request body as JSON, or a 400: not JSON, NaN/Infinity, too deep, or not valid Unicode."""
    try:
        body = json.loads(data, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}", code="invalid_json") from None
    except RecursionError:
        _too_deep()
    except ValueError:  # NaN/Infinity, or an integer of thousands of digits
        raise ApiError(
            400,
            "The request body is not valid JSON: NaN, Infinity and numbers with thousands of digits are "
            "not accepted.",
            code="invalid_json",
        ) from None
    _check_tree(body)
    return body


def _no_constant(name: str) -> NoReturn:
    raise ValueError(name)


def _too_deep(param: str | None = None) -> NoReturn:
    what = param or "The request body"
    raise ApiError(400, f"{what} nests deeper than {MAX_DEPTH} levels.", code="invalid_json", param=param)


def _check_tree(body: Any, param: str | None = None) -> None:
    """Depth within MAX_DEPTH, and no lone surrogate in any string (UTF-8 cannot carry one)."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if LONE_SURROGATE.search(value):
                raise ApiError(
                    400,
                    f"{param or 'The request body'} has text that is not valid Unicode (a lone surrogate "
                    "such as \\ud800): send UTF-8 text.",
                    code="invalid_text",
                    param=param,
                )
            continue
        if isinstance(value, dict):
            items: list[Any] = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            items = value
        else:
            continue
        if depth > MAX_DEPTH:
            _too_deep(param)
        stack.extend((item, depth + 1) for item in items)


class NotJson:
    """What :func:`parse_arguments` gives for text that is not JSON (a model's glitch sent back)."""


NOT_JSON = NotJson()


def parse_arguments(text: str, param: str) -> Any:
    """A tool call's ``arguments`` string decoded, or :data:`NOT_JSON`; hostile JSON is still a 400."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        _too_deep(param)
    except ValueError:  # not JSON, NaN/Infinity, or an integer of thousands of digits
        return NOT_JSON
    _check_tree(value, param)
    return value
