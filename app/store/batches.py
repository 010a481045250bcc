"""Big writes in short transactions, so another process's write never waits for seconds.

SQLite has one writer at a time. A 19.5M-character attachment stored in one transaction held
the lock 6.1 s, and a streaming checkpoint from another process failed with "database is
locked". Its chunks now go in batches of about :data:`BATCH_CHARS` characters (19.5M
characters: 46 batches, median 63 ms, longest 180 ms, 4.0 s in all against 3.2 s in one), with
a short pause between them in which a waiting writer gets its turn: without it SQLite's busy
handler, which retries every few ms at first and every 100 ms later, rarely lands in the gap
and the waiter starves anyway. :data:`BUSY_TIMEOUT_S` is far above any batch.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence

from app.store.schema import transaction

BUSY_TIMEOUT_S = 10.0  # how long a write waits for another's lock before "database is locked"
BATCH_CHARS = 512 * 1024  # text per transaction: ~60 ms of lock here (~100 ms on a slow disk), index included
BATCH_ROWS = 2_000
PAUSE_S = 0.02  # between batches: lets a waiting writer in (its retries come every 1-100 ms)


def batches(
    rows: Iterable[Sequence[object]],
    text_column: int,
    *,
    max_chars: int = BATCH_CHARS,
    max_rows: int = BATCH_ROWS,
) -> Iterator[list[Sequence[object]]]:
    """``rows`` cut into lists of at most ``max_rows`` rows and about ``max_chars`` of text."""
    batch: list[Sequence[object]] = []
    chars = 0
    for row in rows:
        batch.append(row)
        chars += len(str(row[text_column]))
        if chars >= max_chars or len(batch) >= max_rows:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def insert_in_batches(
    conn: sqlite3.Connection,
    sql: str,
    rows: Iterable[Sequence[object]],
    text_column: int,
    *,
    max_chars: int = BATCH_CHARS,
    pause_s: float = PAUSE_S,
) -> None:
    """``executemany(sql, rows)`` as several committed transactions with a pause between them.

    Not atomic: the caller keeps what it writes hidden until the last batch is in.
    """
    for i, batch in enumerate(batches(rows, text_column, max_chars=max_chars)):
        if i and pause_s:
            time.sleep(pause_s)
        with transaction(conn):
            conn.executemany(sql, batch)
