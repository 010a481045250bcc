"""Time and memory limits for rendering a chat template that came with a model file.

Jinja2's sandbox stops a template from reaching Python internals, not from working forever or
filling memory: nested ``range(100000)`` loops render for hours, ``'a' * 2000000000`` was even
evaluated when the template was compiled (constant folding), and doubling a string in a loop
reached gigabytes. :class:`BoundedEnvironment` adds the missing limits where the work happens:

- ``*``, ``**``, ``%`` and ``+`` are intercepted (which also stops constant folding at compile
  time) and refused when their result would exceed :data:`MAX_CHARS` items or characters;
- a method or filter given a number beyond :data:`MAX_ITEMS` (``' '.ljust(10**9)``) is refused;
- every loop (``range`` or anything else) checks the clock and the process's memory as it steps,
  and ``~`` joins are size-checked like ``+``;
- the output is produced in chunks and stopped past the output cap or the deadline.

A limit that is hit is a :class:`TemplateLimitError`, which the caller reports as the template's
error. The deadline and the memory baseline belong to the thread that renders.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_SECONDS = 5.0  # one render; the real templates take milliseconds
MAX_CHARS = 16_000_000  # the longest string or list an operator may make
MAX_ITEMS = 1_000_000  # the largest number a method or filter may be given (widths, counts)
MAX_RANGE = 100_000  # as Jinja's own safe range
MAX_GROWTH = 1024**3  # memory the process may grow by while one template renders
CHECK_EVERY = 256  # range steps between clock and memory checks
SEQUENCES = (str, list, tuple)
_WIDE_FORMAT = re.compile(r"%[-+ #0]*(\*|\d{7,})")


class TemplateLimitError(Exception):
    """A chat template went past a time or memory limit."""


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


class _Budget(threading.local):
    deadline = float("inf")
    baseline = 0
    steps = 0


ITER = "__qwendesk_loop__"  # every {% for %} iterates through this (a step is counted per item)


class _BoundedCodeGenerator(CodeGenerator):
    """``~`` joins through :meth:`BoundedEnvironment.bounded_join` (its size is checked)."""

    def visit_Concat(self, node: nodes.Concat, frame: Any) -> None:
        self.write("environment.bounded_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with limits on time, sizes and memory while rendering."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.budget = _Budget()
        self.globals["range"] = self._range
        self.globals[ITER] = self._loop
        # Filters are called directly, not through call(): the same checks around each.
        self.filters = {name: self._guarded(f) for name, f in self.filters.items()}

    def _guarded(self, function: Any) -> Any:
        @functools.wraps(function)  # keeps jinja's pass_context / pass_eval_context marks
        def guarded(*args: Any, **kwargs: Any) -> Any:
            return self._checked_call(function, args, kwargs)

        return guarded

    def _checked_call(self, function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self.check()
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ITEMS:
                raise TemplateLimitError(f"it passed the number {value:,} to a function")
        result = function(*args, **kwargs)
        if isinstance(result, SEQUENCES) and len(result) > MAX_CHARS:
            raise TemplateLimitError(f"a function gave it {len(result):,} items")
        return result

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every loop's iterable goes through :meth:`_loop`, so each step is counted."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.Name(ITER, "load"), [loop.iter], [], None, None)
        return tree

    def _loop(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            self.step()
            yield item

    def bounded_join(self, parts: tuple[Any, ...]) -> str:
        text = "".join(str(p) for p in parts)
        if len(text) > MAX_CHARS:
            raise TemplateLimitError("it joined a string longer than 16 million characters")
        return text

    # ------------------------------------------------------------------ rendering

    def render(self, template: Any, output_cap: int, **context: Any) -> str:
        """Render ``template`` within the limits; the output may be at most ``output_cap`` characters."""
        budget = self.budget
        budget.deadline = time.monotonic() + MAX_SECONDS
        budget.baseline = _rss()
        budget.steps = 0
        try:
            parts: list[str] = []
            size = 0
            for chunk in template.generate(**context):
                size += len(chunk)
                if size > output_cap:
                    raise TemplateLimitError(f"it wrote more than {output_cap:,} characters")
                parts.append(chunk)
                self.check()
            return "".join(parts)
        finally:
            budget.deadline = float("inf")

    def check(self) -> None:
        if time.monotonic() > self.budget.deadline:
            raise TemplateLimitError(f"it took more than {MAX_SECONDS:g} s")

    def _check_memory(self) -> None:
        if self.budget.baseline and _rss() - self.budget.baseline > MAX_GROWTH:
            raise TemplateLimitError(f"it used more than {MAX_GROWTH // 1024**2:,} MiB of memory")

    # ------------------------------------------------------------ the intercepts

    def _range(self, *args: Any) -> _BoundedRange:
        if any(isinstance(a, int) and abs(a) > MAX_ITEMS for a in args):
            raise TemplateLimitError("it asked for a range beyond a million")
        r = range(*args)
        if len(r) > MAX_RANGE:
            raise TemplateLimitError(f"it asked for a range of {len(r):,} items")
        return _BoundedRange(r, self)

    def step(self) -> None:
        """One loop step: the clock and memory are checked every few hundred."""
        budget = self.budget
        budget.steps += 1
        if budget.steps % CHECK_EVERY == 0:
            self.check()
            self._check_memory()

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self.check()
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, (str, list, tuple)) and isinstance(times, int)
                if sized and len(seq) * times > MAX_CHARS:
                    raise TemplateLimitError(f"it made a sequence of {len(seq) * times:,} items")
        elif operator == "**":
            if isinstance(right, (int, float)) and abs(right) > 256:
                raise TemplateLimitError(f"it raised a number to the power {right}")
        elif operator == "+" and isinstance(left, SEQUENCES) and isinstance(right, SEQUENCES):
            if len(left) + len(right) > MAX_CHARS:
                raise TemplateLimitError("it made a string or list longer than 16 million")
        elif operator == "%" and isinstance(left, str) and _WIDE_FORMAT.search(left):
            raise TemplateLimitError("it formatted with a width beyond a million")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        def sandboxed(*a: Any, **k: Any) -> Any:
            return ImmutableSandboxedEnvironment.call(__self, __context, __obj, *a, **k)

        return __self._checked_call(sandboxed, args, kwargs)


class _BoundedRange:
    """A range whose iteration checks the render's clock and memory."""

    def __init__(self, r: range, env: BoundedEnvironment) -> None:
        self._range, self._env = r, env

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, index: Any) -> Any:
        return self._range[index]

    def __iter__(self) -> Iterator[int]:
        for i in self._range:
            self._env.step()
            yield i
