"""Screenshot of the window in Simplified Chinese: menus, buttons, a conversation with reasoning and code.

    xvfb-run -a -s "-screen 0 1280x860x24" .venv/bin/python tools/screenshot_zh.py docs/screenshots

Saves zh-CN.png. The conversations are written into a fresh store first (a finished answer with its
reasoning expanded, and a code block with Chinese comments and strings); a generated Qwen3 GGUF
(real llama.cpp) is loaded so the composer shows a model. It checks the fonts too: Chinese text in
the messages, the reasoning pane and the code block must come from a font that has it (no tofu).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTION = "用 Python 怎么逐行读取一个很大的文本文件？文件是 UTF-8 编码的，机器内存只有 8 GB。"
REASONING = (
    "用户想逐行读取一个很大的 UTF-8 文本文件，而且内存有限。最直接的办法是用 with 语句打开文件，"
    "然后直接迭代文件对象：它是惰性的，每次只读入一行，不会把整个文件载入内存。\n\n"
    '要记得指定 encoding="utf-8"，再用 rstrip() 去掉行尾的换行符；如果文件里可能有坏字节，'
    '可以加上 errors="replace"。回答要简短：一个代码示例，再列出两三个要点。'
)
ANSWER = """文件对象本身就是一个**惰性迭代器**：逐行遍历时每次只读入一行，内存占用和文件大小无关。

```python
# 逐行读取大文件：内存里始终只有当前这一行
with open("server.log", encoding="utf-8", errors="replace") as f:
    for number, line in enumerate(f, start=1):
        text = line.rstrip("\\n")  # 去掉行尾的换行符
        if "错误" in text:
            print(f"第 {number} 行：{text}")
```

- `with` 语句保证文件在出错时也会被关闭
- `errors="replace"` 会替换无法解码的字节，读取不会中途失败
- 不要用 `f.read()` 或 `f.readlines()`：它们会把整个文件读进内存
"""
# (title, age in seconds) of the other conversations in the list, newest first.
OLDER = (
    ("解释一下 Transformer 里的注意力机制", 5 * 60),
    ("Weekly report outline", 2 * 3600),
    ("周末去杭州的两日游行程", 3 * 86_400),
)


def write_conversations(model: Path) -> None:
    """The store the window opens: three older chats and the one shown, newest last."""
    from app.store.chat_store import ChatStore

    now = time.time()
    clock = {"t": now}
    with ChatStore.open_default(clock=lambda: clock["t"]) as store:
        for title, age in reversed(OLDER):
            clock["t"] = now - age
            conv = store.create_conversation(title, model=str(model))
            store.add_message(conv.id, "user", title)
        clock["t"] = now - 20
        conv = store.create_conversation("用 Python 逐行读取大文件", model=str(model))
        store.add_message(conv.id, "user", QUESTION)
        store.add_message(
            conv.id,
            "assistant",
            ANSWER,
            reasoning=REASONING,
            think=True,
            thinking_s=9.4,
            reasoning_tokens=186,
            completion_tokens=412,
            finish_reason="stop",
            reasoning_collapsed=False,
            model=str(model),
        )


def han_fonts(window: object) -> dict[str, set[str]]:
    """Which fonts the Chinese characters of the question, reasoning and code block are drawn with."""
    from PySide6.QtGui import QTextDocument, QTextLayout
    from PySide6.QtWidgets import QLabel

    def in_layout(layout: QTextLayout, text: str) -> set[str]:
        found = set()
        for i, ch in enumerate(text):
            if "\u4e00" <= ch <= "\u9fff":
                found |= {run.rawFont().familyName() for run in layout.glyphRuns(i, 1)}
        return found

    def in_document(doc: QTextDocument) -> set[str]:
        found: set[str] = set()
        block = doc.begin()
        while block.isValid():
            if block.layout() is not None:
                found |= in_layout(block.layout(), block.text())
            block = block.next()
        return found

    def in_label(label: QLabel) -> set[str]:
        layout = QTextLayout(label.text(), label.font())
        layout.beginLayout()
        layout.createLine()
        layout.endLayout()
        return in_layout(layout, label.text())

    user, answer = window.view.widgets[0], window.view.widgets[1]  # type: ignore[attr-defined]
    doc = answer.answer.document()
    frames = [(f.firstPosition(), f.lastPosition()) for f in doc.rootFrame().childFrames()]
    code: set[str] = set()  # the code blocks' tables (their header included)
    prose: set[str] = set()  # the rest of the answer
    block = doc.begin()
    while block.isValid():
        if block.layout() is not None:
            inside = any(lo <= block.position() <= hi for lo, hi in frames)
            (code if inside else prose).update(in_layout(block.layout(), block.text()))
        block = block.next()
    return {
        "question": in_label(user.user_text),
        "reasoning": in_document(answer.reasoning.body.document()),
        "answer": prose,
        "code block": code,
    }


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QWENDESK_HOME"] = str(Path(tmp) / "home")
        os.environ["QWENDESK_LANG"] = "zh_CN"
        os.environ.setdefault("QWENDESK_THEME", "light")
        os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

        from app.models.synthetic import write_scripted_gguf
        from app.ui.app import build_window
        from tools.qt_wait import settle, wait_until

        model = write_scripted_gguf(Path(tmp) / "Qwen3-4B-Q4_K_M.gguf")
        write_conversations(model)
        window = build_window(str(model))
        window.resize(1200, 840)
        window.show()

        wait_until(lambda: window.bridge.model_path is not None and not window.bridge.busy)
        settle()
        window.view.verticalScrollBar().setValue(0)  # the question from its first line
        settle(0.2)
        window.grab().save(str(out / "zh-CN.png"))
        print("saved", out / "zh-CN.png")
        fonts = han_fonts(window)
        for where, families in fonts.items():
            print(f"{where}: Chinese drawn with {', '.join(sorted(families)) or 'nothing'}")
        window.close()
    return 0 if all(fonts.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
