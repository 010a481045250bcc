"""Screenshots of the window's new look: first run, a conversation with versions and a long reasoning.

    xvfb-run -a -s "-screen 0 1280x860x24" .venv/bin/python tools/screenshot_window.py docs/screenshots \\
        [NAME...]

Each image is a 1200×800 window in a fresh data dir (one process per image: the theme and the
language are chosen when the window is built). No model is loaded and nothing is fetched: the
Hub is a local port nothing listens on (the welcome panel does not ask it until Download anyway).

    welcome-light.png, welcome-dark.png, welcome-zh.png   first run: no model, no conversations
    conversation-light.png, conversation-dark.png, conversation-zh.png
        a seeded conversation (opened without a model): a question, an answer in its second
        version (‹ 2 / 2 ›) with a long folded reasoning (32,000 tokens, 412 s), a Python code
        block and a list, then a short follow-up; the list grouped Today / Yesterday /
        Previous 7 days / Older
    reasoning-expanded.png   the same reasoning expanded: the box's capped height, scrolling inside
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MODEL = "/home/me/models/Qwen3-8B-Q4_K_M.gguf"
SIZE = (1200, 800)

# name: (kind, theme, language)
SHOTS = {
    "welcome-light.png": ("welcome", "light", "en"),
    "welcome-dark.png": ("welcome", "dark", "en"),
    "welcome-zh.png": ("welcome", "light", "zh_CN"),
    "conversation-light.png": ("conversation", "light", "en"),
    "conversation-dark.png": ("conversation", "dark", "en"),
    "conversation-zh.png": ("conversation", "light", "zh_CN"),
    "reasoning-expanded.png": ("expanded", "light", "en"),
}

EN = {
    "title": "Reading a huge log file in Python",
    "question": "How do I read a 40 GB log file line by line in Python without running out of memory?",
    "answer_v1": (
        "Iterate over the file object: it reads one line at a time.\n\n"
        '```python\nwith open("server.log") as f:\n    for line in f:\n        handle(line)\n```\n'
    ),
    "answer": (
        "A file object is a **lazy iterator**: looping over it reads one line at a time, so memory "
        "stays flat however large the file is.\n\n"
        "```python\n"
        "# count the errors in a huge log, one line in memory at a time\n"
        'with open("server.log", encoding="utf-8", errors="replace") as f:\n'
        '    errors = sum(1 for line in f if "ERROR" in line)\n'
        'print(f"{errors:,} errors")\n'
        "```\n\n"
        "- `with` closes the file even if an exception is raised\n"
        '- `errors="replace"` keeps one bad byte from stopping the run\n'
        "- avoid `f.read()` and `f.readlines()`: they load the whole file\n"
    ),
    "followup": "And if the lines are JSON?",
    "followup_answer": "Same loop, then `json.loads(line)` on each line — that is the JSON Lines format.",
    "reasoning": [
        "The user has a 40 GB log and wants to read it line by line in Python without exhausting "
        "memory. The key fact is that a file object opened in text mode is an iterator over its "
        "lines, and iterating does buffered reads, so only one line plus a small buffer is in memory.",
        "Let me check the alternatives before answering. f.read() loads everything: 40 GB, out. "
        "f.readlines() builds a list of every line: worse, with per-string overhead. mmap would work "
        "but is more than they asked for, and pandas.read_csv with chunksize only fits CSV.",
        "Encoding: a log written by many services may contain bytes that are not valid UTF-8; with "
        "the default errors='strict' one bad byte raises UnicodeDecodeError hours into the run. "
        "errors='replace' is the safe default for logs; I should mention it.",
        "Should I show counting, filtering or parsing? A generator expression with sum() shows the "
        "lazy idea in one line, and the with-block shows the file is closed on errors. Then a short "
        "list of pitfalls. Maybe also mention that very long lines (no newline for gigabytes) would "
        "still be a problem, but that is rare for logs; keep it out of the main answer.",
    ],
    "older": (
        ("Explain attention in transformers", "today", 2),
        ("Weekly report outline", "yesterday", 0),
        ("Regex for ISO dates", "yesterday", 1),
        ("Two days in Hangzhou: an itinerary", "week", 0),
        ("SQLite vs Postgres for a desktop app", "week", 1),
        ("Translate the release notes", "older", 0),
        ("Birthday message for my sister", "older", 1),
    ),
}

ZH = {
    "title": "用 Python 逐行读取超大日志",
    "question": "用 Python 怎么逐行读取一个 40 GB 的日志文件，又不会把内存用光？",
    "answer_v1": (
        "直接遍历文件对象即可：它每次只读入一行。\n\n"
        '```python\nwith open("server.log") as f:\n    for line in f:\n        handle(line)\n```\n'
    ),
    "answer": (
        "文件对象本身就是一个**惰性迭代器**：逐行遍历时每次只读入一行，内存占用与文件大小无关。\n\n"
        "```python\n"
        "# 统计超大日志里的错误行：内存里始终只有当前这一行\n"
        'with open("server.log", encoding="utf-8", errors="replace") as f:\n'
        '    errors = sum(1 for line in f if "错误" in line)\n'
        'print(f"共 {errors:,} 行错误")\n'
        "```\n\n"
        "- `with` 语句保证出错时文件也会被关闭\n"
        '- `errors="replace"` 会替换无法解码的字节，读取不会中途失败\n'
        "- 不要用 `f.read()` 或 `f.readlines()`：它们会把整个文件读进内存\n"
    ),
    "followup": "如果每一行都是 JSON 呢？",
    "followup_answer": "循环不变，对每一行调用 `json.loads(line)` 即可——这就是 JSON Lines 格式。",
    "reasoning": [
        "用户有一个 40 GB 的日志文件，想用 Python 逐行读取而不耗尽内存。关键在于：以文本模式打开的文件"
        "对象本身就是按行的迭代器，遍历时是带缓冲的读取，内存里只有当前一行和一小块缓冲区。",
        "回答之前先比较其他做法。f.read() 会一次读入全部内容：40 GB，不行。f.readlines() 会建立一个"
        "包含所有行的列表，更糟，每个字符串还有额外开销。mmap 可以，但超出了用户的需求；"
        "pandas.read_csv 的 chunksize 只适用于 CSV。",
        "编码：多个服务写入的日志可能含有不合法的 UTF-8 字节；默认的 errors='strict' 会在运行几个小时后"
        "因为一个坏字节抛出 UnicodeDecodeError。对日志来说 errors='replace' 更稳妥，应该提一下。",
        "示例是计数、过滤还是解析？用 sum() 加生成器表达式，一行就能体现惰性读取；with 语句说明出错时"
        "文件也会关闭。然后列出几个要点。超长的行（几 GB 没有换行）仍然是问题，但日志里很少见，"
        "不放进正文。",
    ],
    "older": (
        ("解释一下 Transformer 里的注意力机制", "today", 2),
        ("周报提纲", "yesterday", 0),
        ("匹配 ISO 日期的正则表达式", "yesterday", 1),
        ("周末去杭州的两日游行程", "week", 0),
        ("桌面应用用 SQLite 还是 Postgres", "week", 1),
        ("翻译发布说明", "older", 0),
        ("给妹妹的生日祝福", "older", 1),
    ),
}


def long_reasoning(paragraphs: list[str], chars: int) -> str:
    """About ``chars`` characters of reasoning: the paragraphs again and again, as a long think reads."""
    out: list[str] = []
    total, i = 0, 0
    while total < chars:
        p = paragraphs[i % len(paragraphs)]
        out.append(p)
        total += len(p) + 2
        i += 1
    return "\n\n".join(out)


def when(group: str, index: int, now: float) -> float:
    """A time in ``group`` (by local calendar days, as the list groups them), spread by ``index``."""
    midnight = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    if group == "today":
        return max(midnight + 60, now - 3600 * index)
    if group == "yesterday":
        return midnight - 3600 * (3 + 5 * index)
    if group == "week":
        return midnight - 86_400 * (2 + 2 * index) - 3600 * 5
    return midnight - 86_400 * (20 + 40 * index)


def seed(texts: dict) -> None:
    """The store the window opens: older chats in every group, then the one shown (the newest)."""
    from app.store.chat_store import ChatStore

    now = time.time()
    clock = {"t": now}
    chars = 128_000 if texts is EN else 45_000  # ~32,000 tokens of English / of Chinese
    with ChatStore.open_default(clock=lambda: clock["t"]) as store:
        for title, group, index in sorted(texts["older"], key=lambda o: when(o[1], o[2], now)):
            clock["t"] = when(group, index, now)
            conv = store.create_conversation(title, model=MODEL)
            store.add_message(conv.id, "user", title)
            store.add_message(conv.id, "assistant", "…", think=False, finish_reason="stop", model=MODEL)
        clock["t"] = now - 90
        conv = store.create_conversation(texts["title"], model=MODEL)
        question = store.add_message(conv.id, "user", texts["question"], think=True)
        store.add_message(
            conv.id,
            "assistant",
            texts["answer_v1"],
            reasoning=texts["reasoning"][0],
            think=True,
            thinking_s=6.2,
            reasoning_tokens=71,
            completion_tokens=120,
            finish_reason="stop",
            reasoning_collapsed=True,
            model=MODEL,
        )
        clock["t"] = now - 60
        store.add_message(  # Regenerate: a second version of the answer
            conv.id,
            "assistant",
            texts["answer"],
            parent_id=question.id,
            reasoning=long_reasoning(texts["reasoning"], chars),
            think=True,
            thinking_s=412.3,
            reasoning_tokens=32_000,
            completion_tokens=32_180,
            finish_reason="stop",
            reasoning_collapsed=True,
            model=MODEL,
        )
        clock["t"] = now - 30
        store.add_message(conv.id, "user", texts["followup"], think=False)
        store.add_message(
            conv.id,
            "assistant",
            texts["followup_answer"],
            think=False,
            completion_tokens=24,
            finish_reason="stop",
            model=MODEL,
        )


def shoot(out: Path, name: str) -> None:
    kind, _theme, lang = SHOTS[name]
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QCursor

    from app.ui.app import build_window
    from tools.qt_wait import settle, wait_until

    if kind != "welcome":
        seed(ZH if lang == "zh_CN" else EN)
    window = build_window(None)
    window.resize(*SIZE)
    window.show()
    QCursor.setPos(QPoint(1270, 850))  # away from the messages: hover actions only where hovered
    if kind == "welcome":
        wait_until(lambda: window.chat_area.welcome_shown)
        panel = window.chat_area.welcome
        assert panel is not None
        wait_until(lambda: panel.machine is not None and panel.offer.kind != "looking", seconds=30)
    else:
        wait_until(lambda: len(window.view.widgets) >= 4)
        settle()
        view = window.view
        answer = next(
            w
            for w in view.widgets
            if w.message.role == "assistant" and len(w.message.reasoning or "") > 10_000
        )
        if kind == "expanded":
            assert answer.reasoning is not None
            answer.reasoning.set_expanded(True)
            settle()
            pane = answer.reasoning
            top = pane.mapTo(view.widget(), QPoint(0, 0)).y()
            view.verticalScrollBar().setValue(max(0, top - 120))
            bar = pane.body.verticalScrollBar()
            bar.setValue(bar.maximum() // 3)  # somewhere inside: it scrolls by itself
        else:
            view.verticalScrollBar().setValue(0)  # the question from its first line
    settle(1.0)
    window.grab().save(str(out / name))
    print("saved", out / name, flush=True)
    window.close()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    if len(sys.argv) > 2 and sys.argv[2] == "--child":
        shoot(out, sys.argv[3])
        return 0
    names = sys.argv[2:] or list(SHOTS)
    failed = 0
    for name in names:
        _kind, theme, lang = SHOTS[name]
        with tempfile.TemporaryDirectory() as tmp:
            from tests.models.fake_hub import closed_port_url

            env = {
                **os.environ,
                "QWENDESK_HOME": str(Path(tmp) / "home"),
                "QWENDESK_THEME": theme,
                "QWENDESK_LANG": lang,
                "HF_ENDPOINT": closed_port_url(),
                "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "xcb"),
            }
            failed |= subprocess.run(
                [sys.executable, __file__, str(out), "--child", name], env=env
            ).returncode
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
