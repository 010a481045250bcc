"""The window's language: English or Simplified Chinese, chosen from the system or the settings.

``QWENDESK_LANG`` (``en``, ``zh_CN`` or ``system``) wins over the setting, so tests and
screenshot scripts can pick one. The translations are Qt's: ``i18n/qwendesk_<lang>.qm`` next
to this module (compiled from the ``.ts`` sources by ``tools/update_translations.py``), plus
Qt's own ``qtbase_<lang>.qm`` for the standard buttons (OK, Cancel, Yes, No) when the Qt
installation has it. ``qwendesk_en.qm`` holds only the English plural forms ("1 page",
"3 pages") of the few ``%n`` strings.

Translators are process-wide (``QCoreApplication.installTranslator``): ``install`` replaces
the ones it installed before, and ``uninstall`` removes them.

Han characters are shown with a Simplified Chinese font where one is installed (see
``cjk_families``): left alone, fontconfig's fallback picks whichever CJK font sorts first
(often the Japanese variant, with Japanese glyph shapes) when the system locale is not Chinese.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFontDatabase, QFontInfo
from PySide6.QtWidgets import QApplication

log = logging.getLogger("qwendesk.ui")

I18N_DIR = Path(__file__).resolve().parent / "i18n"
ENV = "QWENDESK_LANG"
SUPPORTED = ("en", "zh_CN")
CHOICES = ("system", *SUPPORTED)  # the "language" setting's values
# Each language named in itself (the menu shows these untranslated); "system" is translated.
NATIVE_NAMES = {"en": "English", "zh_CN": "简体中文"}
# Fonts with Simplified Chinese glyphs: Linux (Noto/Source Han, WenQuanYi), Windows, macOS.
CJK_SC_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "WenQuanYi Micro Hei",
)

_installed: list[QTranslator] = []


def language_for_locale(locale: QLocale) -> str | None:
    """``zh_CN`` for Chinese in Simplified script (zh, zh_CN, zh_SG, zh_Hans_*), ``en`` for English.

    None for any other language (Traditional Chinese included: there is no translation for it yet).
    """
    if locale.language() == QLocale.Language.English:
        return "en"
    if locale.language() == QLocale.Language.Chinese:
        simplified = locale.script() == QLocale.Script.SimplifiedHanScript
        if simplified or locale.territory() in (QLocale.Country.China, QLocale.Country.Singapore):
            return "zh_CN"
    return None


def system_language(locale: QLocale | None = None) -> str:
    """The first of the system's UI languages that QwenDesk has; English otherwise.

    Qt lists each preferred language with its shorter forms ("zh-Hant-TW", "zh-TW", "zh-Hant",
    "zh"); a bare "zh" after a Chinese one already tried is such a form, not a wish for
    Simplified Chinese, and is skipped.
    """
    locale = locale or QLocale.system()
    tried: set[QLocale.Language] = set()
    for name in locale.uiLanguages():
        candidate = QLocale(name)
        if "-" not in name and "_" not in name and candidate.language() in tried:
            continue
        tried.add(candidate.language())
        found = language_for_locale(candidate)
        if found is not None:
            return found
    return "en"


def resolve(choice: str, locale: QLocale | None = None) -> str:
    """``en`` or ``zh_CN``: ``QWENDESK_LANG`` if set, else ``choice`` (a setting value)."""
    choice = os.environ.get(ENV) or choice
    if choice in SUPPORTED:
        return choice
    if choice != "system":
        log.warning("unknown language %r: following the system", choice)
    return system_language(locale)


def install(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Install QwenDesk's (and Qt's) translations for ``language``, replacing earlier ones."""
    uninstall(app)
    candidates = [(f"qwendesk_{language}", str(I18N_DIR))]
    if language != "en":
        candidates.append(
            (f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
        )
    for name, folder in candidates:
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            _installed.append(translator)
        else:
            log.info("no translation %s in %s", name, folder)
    return list(_installed)


def uninstall(app: QCoreApplication) -> None:
    """Remove the translators ``install`` put in (the next strings are English again)."""
    while _installed:
        app.removeTranslator(_installed.pop())


def prefers_simplified_han(language: str, locale: QLocale | None = None) -> bool:
    """Whether Han characters should take Simplified Chinese glyph shapes.

    Yes with the Chinese UI, and on any system that is not set to Japanese, Korean or
    Traditional Chinese (where the system's own fallback already picks the right variant):
    what a Qwen3 model writes in Han characters is almost always Chinese.
    """
    if language == "zh_CN":
        return True
    locale = locale or QLocale.system()
    if locale.language() in (QLocale.Language.Japanese, QLocale.Language.Korean):
        return False
    return not (
        locale.language() == QLocale.Language.Chinese
        and locale.script() == QLocale.Script.TraditionalHanScript
    )


def cjk_families(language: str, locale: QLocale | None = None) -> list[str]:
    """The installed Simplified Chinese fonts to fall back to, best first ([] to leave it to Qt)."""
    if not prefers_simplified_han(language, locale):
        return []
    installed = set(QFontDatabase.families())
    return [f for f in CJK_SC_FAMILIES if f in installed]


def apply_cjk_fallback(app: QApplication, language: str) -> list[str]:
    """Make the application font fall back to a Simplified Chinese font for Han characters.

    The font's own family stays first (Latin text looks as before); the CJK families follow it,
    so Qt takes them for the characters the first one lacks. Widgets that copy the application
    font (messages, the reasoning pane, the composer) inherit the list; code blocks name their
    own list in ``app.render.markdown_html.CODE_FONT_FAMILIES``.
    """
    extra = cjk_families(language)
    if not extra:
        return []
    font = app.font()
    primary = QFontInfo(font).family()  # the real family: an alias ("Sans Serif") would swallow the list
    families = [primary, *(f for f in extra if f != primary)]
    font.setFamilies(families)
    app.setFont(font)
    return families
