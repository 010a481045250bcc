"""Every file that cannot be attached fails with its own kind and a message naming it."""

from __future__ import annotations

import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from app.documents import DocumentError, Limits, extract
from tests.documents.make_docs import (
    truncate,
    write_docx,
    write_encrypted_pdf,
    write_pdf,
    write_zip_bomb_docx,
)


def failure(path: Path, limits: Limits | None = None) -> DocumentError:
    with pytest.raises(DocumentError) as err:
        extract(path, limits=limits) if limits else extract(path)
    assert path.name in err.value.message, err.value.message
    assert err.value.file == path.name
    return err.value


def test_a_password_protected_pdf(tmp_path: Path) -> None:
    err = failure(write_encrypted_pdf(tmp_path / "locked.pdf", user_password="secret"))
    assert err.kind == "encrypted" and "password-protected" in err.message


def test_a_restricted_pdf_with_an_empty_user_password_opens(tmp_path: Path) -> None:
    doc = extract(write_encrypted_pdf(tmp_path / "restricted.pdf", user_password=""))
    assert [(p.number, p.text) for p in doc.pages] == [
        (1, "Top secret quarterly numbers."),
        (2, "Second page of secrets."),
    ]


def test_a_scanned_pdf_has_no_text_layer(tmp_path: Path) -> None:
    err = failure(write_pdf(tmp_path / "scan.pdf", [None, None, None], image_pages=[1, 2, 3]))
    assert err.kind == "no_text_layer"
    assert "no text layer — OCR is not supported" in err.message


def test_a_pdf_with_no_text_and_no_images_is_empty(tmp_path: Path) -> None:
    assert failure(write_pdf(tmp_path / "blank.pdf", [None, None])).kind == "empty"


@pytest.mark.parametrize("fraction", [0.3, 0.7, 0.98])
def test_a_truncated_pdf(tmp_path: Path, fraction: float) -> None:
    path = write_pdf(tmp_path / "cut.pdf", [[f"page {i} text"] for i in range(20)])
    err = failure(truncate(path, fraction))
    assert err.kind == "corrupt" and "damaged or truncated" in err.message


def test_a_truncated_docx(tmp_path: Path) -> None:
    err = failure(truncate(write_docx(tmp_path / "cut.docx"), 0.6))
    assert err.kind == "corrupt"


def test_a_pdf_or_docx_in_name_only(tmp_path: Path) -> None:
    fake_pdf = tmp_path / "fake.pdf"
    fake_pdf.write_text("just text", "utf-8")
    assert failure(fake_pdf).kind == "corrupt"
    fake_docx = tmp_path / "fake.docx"
    fake_docx.write_text("just text", "utf-8")
    assert failure(fake_docx).kind == "corrupt"
    not_word = tmp_path / "other.docx"
    with zipfile.ZipFile(not_word, "w") as z:
        z.writestr("hello.txt", "a zip, but not a Word document")
    err = failure(not_word)
    assert err.kind == "corrupt" and "not a Word document" in err.message


def test_a_docx_with_broken_xml(tmp_path: Path) -> None:
    good = write_docx(tmp_path / "good.docx")
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, data[: len(data) // 2] if item.filename == "word/document.xml" else data)
    assert failure(broken).kind == "corrupt"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 8),
        ("program.py", b"\x7fELF\x02\x01\x01\x00" + b"\x00\x01\x02\x03" * 500),
        ("noise.md", bytes(range(1, 32)) * 100),  # control characters, no NULs
    ],
)
def test_binary_content_behind_a_text_extension(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    err = failure(path)
    assert err.kind == "binary" and "not a text file" in err.message


def test_files_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("words " * 2000, "utf-8")
    err = failure(path, Limits(max_file_bytes=10_000))
    assert err.kind == "too_large" and "11.7 KB" in err.message and "9.8 KB" in err.message
    err = failure(path, Limits(max_text_chars=5_000))
    assert err.kind == "too_large"


def test_a_zip_bomb_disguised_as_docx_is_refused_without_inflating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = write_zip_bomb_docx(tmp_path / "invoice.docx", uncompressed=300 * 2**20)
    assert bomb.stat().st_size < 2 * 2**20
    import docx

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("python-docx must not open a zip bomb")

    monkeypatch.setattr(docx, "Document", never)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        err = failure(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.kind == "zip_bomb"
    assert time.perf_counter() - started < 1.0
    assert peak < 3 * bomb.stat().st_size + 2**20  # the file itself, not 300 MB


def test_a_zip_bomb_by_total_size(tmp_path: Path) -> None:
    bomb = write_zip_bomb_docx(tmp_path / "many.docx", uncompressed=8 * 2**20)
    err = failure(bomb, Limits(max_zip_uncompressed=4 * 2**20, max_zip_ratio=10_000))
    assert err.kind == "zip_bomb" and "inflate" in err.message


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("old.doc", "save it as .docx"),
        ("sheet.xlsx", "CSV"),
        ("photo.jpg", "OCR"),
    ],
)
def test_unsupported_kinds_say_what_to_do(tmp_path: Path, name: str, hint: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    err = failure(path)
    assert err.kind == "unsupported" and hint in err.message


def test_missing_files_folders_and_empty_files(tmp_path: Path) -> None:
    err = failure(tmp_path / "nowhere.pdf")
    assert err.kind == "not_found" and "does not exist" in err.message
    (tmp_path / "folder.txt").mkdir()
    assert failure(tmp_path / "folder.txt").kind == "not_found"
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert failure(empty).kind == "empty"
    blank = tmp_path / "blank.md"
    blank.write_text("  \n\n \t\n", "utf-8")
    assert failure(blank).kind == "empty"


def test_errors_serialise_like_engine_errors(tmp_path: Path) -> None:
    err = failure(write_pdf(tmp_path / "scan.pdf", [None], image_pages=[1]))
    assert err.to_json() == {
        "event": "error",
        "kind": "no_text_layer",
        "message": err.message,
        "file": "scan.pdf",
    }
