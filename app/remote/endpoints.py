"""The user's saved servers: name, address, kind and the model last used, in ``endpoints.json``.

Never a key: keys live in the system keyring (``app.remote.keys``), keyed by the base URL. The
file is written atomically (temporary file + rename), so a crash leaves the old list or the new
one. A file that cannot be read is renamed aside (``endpoints.json.damaged-…``), the problem is
reported through ``EndpointStore.problem``, and the app goes on with an empty list.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from app.paths import data_dir
from app.remote.endpoint import Endpoint
from app.remote.presets import get_preset

log = logging.getLogger("qwendesk.remote")

ENDPOINTS_FILE = "endpoints.json"
VERSION = 1


@dataclass(frozen=True)
class SavedEndpoint:
    endpoint: Endpoint
    last_model: str | None = None

    @property
    def name(self) -> str:
        return self.endpoint.name

    def to_json(self) -> dict[str, object]:
        e = self.endpoint
        return {"name": e.name, "base_url": e.base_url, "preset": e.preset, "last_model": self.last_model}

    @classmethod
    def from_json(cls, data: object) -> SavedEndpoint:
        """Raises ValueError for an entry that is not a valid endpoint."""
        if not isinstance(data, dict) or not isinstance(data.get("base_url"), str):
            raise ValueError(f"not an endpoint: {data!r:.80}")
        name = data.get("name")
        preset = data.get("preset")
        model = data.get("last_model")
        endpoint = Endpoint(
            name=name if isinstance(name, str) else "",
            base_url=data["base_url"],
            preset=get_preset(preset if isinstance(preset, str) else None).name,
        )
        return cls(endpoint, model if isinstance(model, str) and model else None)


class EndpointStore:
    """Saved endpoints, read on demand and written whole; names are unique (case-insensitive)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / ENDPOINTS_FILE
        self.problem: str | None = None  # what went wrong reading the file, for the user

    def load(self) -> list[SavedEndpoint]:
        """The saved endpoints; an unreadable file is kept aside and reported in ``problem``."""
        self.problem = None
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            self._set_aside(f"it could not be read ({exc})")
            return []
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
                raise ValueError("no endpoint list in it")
        except ValueError as exc:
            self._set_aside(f"it is damaged ({exc})")
            return []
        items: list[SavedEndpoint] = []
        skipped: list[str] = []
        for entry in data["endpoints"]:
            try:
                saved = SavedEndpoint.from_json(entry)
            except ValueError as exc:
                skipped.append(str(exc))
                continue
            if self._find(items, saved.name) is None:
                items.append(saved)
        if skipped:
            self.problem = (
                f"{len(skipped)} saved server(s) in {self.path.name} were not valid and were left out."
            )
            log.warning("%s: %s", self.problem, "; ".join(skipped))
        return items

    def save(self, items: Sequence[SavedEndpoint]) -> None:
        """Replace the saved list (atomically)."""
        data = {"version": VERSION, "endpoints": [s.to_json() for s in items]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".endpoints-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, name_or_url: str) -> SavedEndpoint | None:
        """A saved endpoint by name (case-insensitive), or by its address."""
        items = self.load()
        found = self._find(items, name_or_url)
        if found is not None:
            return found
        try:
            probe = Endpoint(name="", base_url=name_or_url)
        except ValueError:
            return None
        return next((s for s in items if s.endpoint.base_url == probe.base_url), None)

    def put(self, saved: SavedEndpoint) -> None:
        """Add ``saved``, or replace the one with the same name."""
        items = self.load()
        old = self._find(items, saved.name)
        if old is None:
            items.append(saved)
        else:
            items[items.index(old)] = saved
        self.save(items)

    def remove(self, name: str) -> bool:
        items = self.load()
        old = self._find(items, name)
        if old is None:
            return False
        items.remove(old)
        self.save(items)
        return True

    def remember_model(self, name: str, model: str) -> None:
        """Note the model last used with the endpoint ``name`` (nothing if it is not saved)."""
        items = self.load()
        old = self._find(items, name)
        if old is not None and old.last_model != model:
            items[items.index(old)] = replace(old, last_model=model)
            self.save(items)

    @staticmethod
    def _find(items: Sequence[SavedEndpoint], name: str) -> SavedEndpoint | None:
        key = name.strip().casefold()
        return next((s for s in items if s.name.casefold() == key), None)

    def _set_aside(self, why: str) -> None:
        aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, aside)
            kept = f"it was kept as {aside.name} and the list starts empty"
        except OSError as exc:
            kept = f"it could not be moved aside ({exc})"
        self.problem = f"The saved servers could not be read: {why}; {kept}."
        log.warning("%s", self.problem)
