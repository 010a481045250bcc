"""The window's translations: complete, placeholders intact, chosen from the system or the setting.

The .ts files are checked against what lupdate extracts from app/ui now (a new string without a
translation fails here) and against the tr()/translate() calls in the code (lupdate skips some
silently: a call inside an f-string, a %n count that is an attribute). Translators are
process-wide: a test that installs one removes it again.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from app.render.markdown_html import CODE_FONT_CSS, render_markdown
from app.ui import language
from app.ui.about import PRIVACY_SOURCE, AboutDialog
from app.ui.conversation_list import relative_time
from app.ui.reasoning_pane import ReasoningPane
from app.ui.settings import DEFAULTS, Settings
from app.versions import PRIVACY_STATEMENT
from tests.ui.conftest import open_window

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "app" / "ui"
I18N = UI / "i18n"
ZH_TS = I18N / "qwendesk_zh_CN.ts"
EN_TS = I18N / "qwendesk_en.ts"
PLACEHOLDER = re.compile(r"\{\w*\}|%L?n|%p|<[^>]+>")


def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "update_translations", ROOT / "tools" / "update_translations.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def messages(ts: Path) -> list[ET.Element]:
    return list(ET.parse(ts).getroot().iter("message"))


def entries(ts: Path) -> set[tuple[str, str, str]]:
    """(context, source, comment) of every message."""
    out = set()
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for m in context.iter("message"):
            out.add((name, m.findtext("source") or "", m.findtext("comment") or ""))
    return out


def forms(message: ET.Element) -> list[str]:
    translation = message.find("translation")
    assert translation is not None
    if message.get("numerus") == "yes":
        return [f.text or "" for f in translation.findall("numerusform")]
    return [translation.text or ""]


@pytest.fixture
def translated() -> Iterator[None]:
    """Remove whatever translators a test installed (they are process-wide)."""
    yield
    app = QCoreApplication.instance()
    assert app is not None
    language.uninstall(app)


# ------------------------------------------------------------------ the .ts files


@pytest.mark.parametrize(("ts", "options"), [(ZH_TS, []), (EN_TS, ["-pluralonly"])])
def test_ts_has_every_string_lupdate_extracts_now(tmp_path: Path, ts: Path, options: list[str]) -> None:
    fresh = tmp_path / ts.name
    tool().lupdate(fresh, options, quiet=True)
    assert entries(fresh) == entries(ts), "run tools/update_translations.py and translate what is new"


def test_no_string_is_unfinished_or_obsolete() -> None:
    for ts in (ZH_TS, EN_TS):
        total, missing = tool().unfinished(ts)
        assert total > 0 and missing == [], (ts.name, missing)
        kinds = {m.find("translation").get("type") for m in messages(ts)}  # type: ignore[union-attr]
        assert kinds == {None}, (ts.name, kinds)  # no unfinished, obsolete or vanished entries


def test_qm_files_are_compiled_from_the_ts_files(tmp_path: Path) -> None:
    for ts in (ZH_TS, EN_TS):
        qm = tmp_path / ts.with_suffix(".qm").name
        tool().lrelease(ts, qm)
        assert qm.read_bytes() == ts.with_suffix(".qm").read_bytes(), (
            f"{ts.name}: run tools/update_translations.py"
        )


def literal_tr_calls() -> Iterator[tuple[str, int, str]]:
    """(file, line, source) of each tr/translate/QT_TRANSLATE_NOOP call with a literal text in app/ui."""
    for path in sorted(UI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            index = {"tr": 0, "translate": 1, "QT_TRANSLATE_NOOP": 1}.get(name or "")
            if index is not None and len(node.args) > index:
                arg = node.args[index]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield path.name, node.lineno, arg.value


def test_lupdate_sees_every_translatable_call() -> None:
    known = {source for _context, source, _comment in entries(ZH_TS)}
    calls = list(literal_tr_calls())
    assert len(calls) > 150
    missed = [f"{file}:{line}: {source!r}" for file, line, source in calls if source not in known]
    assert missed == [], "lupdate skipped these (no f-strings, no attribute as a %n count)"


@pytest.mark.parametrize("ts", [ZH_TS, EN_TS])
def test_placeholders_and_accelerators_survive_translation(ts: Path) -> None:
    for m in messages(ts):
        source = m.findtext("source") or ""
        for text in forms(m):
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), (source, text)
            assert ("&" in source.replace("&&", "")) == ("&" in text.replace("&&", "")), (source, text)
            assert text.strip(), source


def test_product_names_stay_untranslated() -> None:
    for m in messages(ZH_TS):
        source = m.findtext("source") or ""
        for name in ("QwenDesk", "Qwen3", "GGUF", "YaRN", "KV", "llama-cpp-python", "Hugging Face"):
            if name in source:
                assert all(name in text for text in forms(m)), (name, source)


def test_zh_numerus_has_one_form_and_en_two() -> None:
    assert {len(forms(m)) for m in messages(ZH_TS) if m.get("numerus") == "yes"} == {1}
    assert {len(forms(m)) for m in messages(EN_TS)} == {2}


def test_about_dialog_repeats_the_privacy_statement_for_lupdate() -> None:
    assert PRIVACY_SOURCE == PRIVACY_STATEMENT


# ------------------------------------------------------------------ the window


def menu_titles(window) -> list[str]:
    return [a.text() for a in window.menuBar().actions()]


def test_window_in_chinese_then_english(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, translated: None
) -> None:
    monkeypatch.setenv(language.ENV, "zh_CN")
    window = open_window(qtbot, None)
    assert menu_titles(window) == ["文件(&F)", "对话(&C)", "视图(&V)", "帮助(&H)"]
    c = window.composer
    assert (c.send_button.text(), c.attach_button.text(), c.think.text()) == ("发送", "添加附件…", "思考")
    assert c.model_button.text() == "选择模型…" and c.budget.specialValueText() == "不限"
    assert window.title.text() == "新对话" and window.conversations.new_button.text() == "新对话"
    assert relative_time(1000.0, now=1300.0) == "5 分钟前"
    window.show_interrupted(2)
    assert window.statusBar().currentMessage().startswith("QwenDesk 上次退出时有 2 条回答被中断")
    about = AboutDialog(window)
    assert about.windowTitle() == "关于 QwenDesk" and "只进行你要求的网络连接" in about.privacy_label.text()
    about.deleteLater()
    window.close()

    monkeypatch.setenv(language.ENV, "en")
    window = open_window(qtbot, None)
    assert menu_titles(window) == ["&File", "&Conversation", "&View", "&Help"]
    assert (window.composer.send_button.text(), window.composer.think.text()) == ("Send", "Think")
    assert relative_time(1000.0, now=1300.0) == "5 min ago"
    window.show_interrupted(1)
    assert window.statusBar().currentMessage().startswith("1 answer was interrupted when QwenDesk")
    window.show_interrupted(2)
    assert window.statusBar().currentMessage().startswith("2 answers were interrupted")
    window.close()


@pytest.mark.skipif(
    not (Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)) / "qtbase_zh_CN.qm").is_file(),
    reason="this Qt has no qtbase_zh_CN.qm",
)
def test_qt_standard_buttons_are_translated_too(qtbot: QtBot, translated: None) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    language.install(app, "zh_CN")
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    assert sorted(b.text() for b in box.buttons()) == sorted(["确定", "取消"])


def test_code_block_copy_links_follow_the_language(qtbot: QtBot, monkeypatch, translated: None) -> None:
    monkeypatch.setenv(language.ENV, "zh_CN")
    window = open_window(qtbot, None)
    conv = window.store.create_conversation(title="代码")
    window.store.add_message(conv.id, "user", "写一段代码")
    window.store.add_message(conv.id, "assistant", "```python\n# 注释\nprint(1)\n```", status="complete")
    window.refresh_list()
    window.open_conversation(conv.id)
    text = window.view.widgets[-1].answer.toPlainText()
    assert text.lstrip().startswith("python\n复制\n") and "Copy" not in text  # the header row: language, Copy
    window.close()


def test_language_menu_saves_the_choice(qtbot: QtBot, translated: None) -> None:
    assert DEFAULTS["language"] == "system"
    window = open_window(qtbot, None)
    choices = {a.text(): a for a in window.language_menu.actions()}
    assert list(choices) == ["System", "English", "简体中文"]  # each language named in itself
    assert "restart" in window.language_menu.title()
    assert choices["System"].isChecked()
    choices["简体中文"].trigger()
    assert Settings().get("language") == "zh_CN"
    assert choices["简体中文"].isChecked() and not choices["System"].isChecked()
    assert "restart" in window.statusBar().currentMessage()
    window.close()


# ------------------------------------------------------------------ choosing the language


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("zh_CN", "zh_CN"),
        ("zh", "zh_CN"),
        ("zh_SG", "zh_CN"),
        ("zh_Hans_HK", "zh_CN"),
        ("zh_TW", None),
        ("zh_HK", None),
        ("en_US", "en"),
        ("en_GB", "en"),
        ("de_DE", None),
        ("ja_JP", None),
    ],
)
def test_locale_to_language(name: str, expected: str | None) -> None:
    assert language.language_for_locale(QLocale(name)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("zh_CN", "zh_CN"),
        ("zh_SG", "zh_CN"),
        ("zh_TW", "en"),  # no Traditional Chinese yet; its "zh" fallback does not mean Simplified
        ("fr_FR", "en"),
        ("C", "en"),
        ("en_US", "en"),
    ],
)
def test_system_locale_to_language(name: str, expected: str) -> None:
    assert language.system_language(QLocale(name)) == expected


def test_setting_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(language.ENV, raising=False)
    assert language.resolve("zh_CN") == "zh_CN"
    assert language.resolve("en", QLocale("zh_CN")) == "en"
    assert language.resolve("system", QLocale("zh_CN")) == "zh_CN"
    assert language.resolve("system", QLocale("de_DE")) == "en"
    assert language.resolve("klingon", QLocale("zh_SG")) == "zh_CN"  # unknown: the system's
    monkeypatch.setenv(language.ENV, "zh_CN")
    assert language.resolve("en") == "zh_CN"


# ------------------------------------------------------------------ Chinese text and fonts


@pytest.mark.parametrize(
    ("ui", "name", "simplified"),
    [
        ("zh_CN", "ja_JP", True),
        ("en", "C", True),
        ("en", "en_US", True),
        ("en", "zh_CN", True),
        ("en", "ja_JP", False),
        ("en", "ko_KR", False),
        ("en", "zh_TW", False),
    ],
)
def test_which_han_glyphs(ui: str, name: str, simplified: bool) -> None:
    assert language.prefers_simplified_han(ui, QLocale(name)) is simplified


def test_code_blocks_name_a_monospace_and_a_chinese_font() -> None:
    assert "'DejaVu Sans Mono'" in CODE_FONT_CSS and "'Noto Sans Mono CJK SC'" in CODE_FONT_CSS
    assert CODE_FONT_CSS.endswith("monospace")
    assert f"font-family: {CODE_FONT_CSS};" in render_markdown("```\n# 注释\n```").html


def test_application_font_falls_back_to_a_simplified_chinese_font(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if "Noto Sans CJK SC" not in QFontDatabase.families():
        pytest.skip("no Noto Sans CJK SC here")
    families = language.apply_cjk_fallback(app, "zh_CN")
    assert families[0] != "Noto Sans CJK SC" and "Noto Sans CJK SC" in families
    assert app.font().families() == families


def test_reasoning_pane_is_tall_enough_for_chinese_lines(qtbot: QtBot) -> None:
    pane = ReasoningPane()
    qtbot.addWidget(pane)
    pane.resize(400, 300)
    pane.show()
    pane.set_text("\n".join(["用户想逐行读取一个很大的文本文件，内存有限。"] * 6))
    layout = pane.body.document().documentLayout()
    blocks = pane.body.document().blockCount()
    needed = sum(
        layout.blockBoundingRect(pane.body.document().findBlockByNumber(i)).height() for i in range(blocks)
    )
    assert pane.body.height() >= needed


# ------------------------------------------------------------------ shipping the .qm files


def test_wheel_and_bundle_ship_the_qm_files() -> None:
    assert ZH_TS.with_suffix(".qm").is_file() and EN_TS.with_suffix(".qm").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'\[tool\.setuptools\.package-data\]\n(#.*\n)*"app\.ui" = \["i18n/\*\.qm"\]', pyproject)
    spec = (ROOT / "packaging" / "qwendesk.spec").read_text(encoding="utf-8")
    assert '"app/ui/i18n"' in spec and 'glob("*.qm")' in spec
