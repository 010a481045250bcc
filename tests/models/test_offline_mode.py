"""huggingface_hub is offline except for the listings and downloads the user asked for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import OfflineModeIsEnabled

from app import privacy
from app.models import hub as hub_mod
from app.models.download import Download
from app.models.hub import find_entry
from tests.models.conftest import NAME, REPO
from tests.models.fake_hub import FakeHub


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in privacy.OFFLINE_ENV:
        monkeypatch.delenv(key, raising=False)  # restored after the test, whatever go_offline sets
    was = constants.HF_HUB_OFFLINE
    privacy.go_offline()
    yield
    constants.HF_HUB_OFFLINE = was


def test_hub_calls_fail_outside_hub_access(offline: None, hub: FakeHub) -> None:
    with pytest.raises(OfflineModeIsEnabled):
        HfApi(endpoint=hub.url).model_info(REPO)
    assert hub.log == []  # refused before any request left the process


def test_a_listing_the_user_asked_for_goes_through_and_offline_mode_returns(
    offline: None, hub: FakeHub
) -> None:
    [entry] = hub_mod.list_repo(REPO)
    assert entry.parts[0].path == NAME
    assert constants.HF_HUB_OFFLINE is True
    with pytest.raises(OfflineModeIsEnabled):
        HfApi(endpoint=hub.url).model_info(REPO)


def test_download_child_reaches_the_hub_while_the_app_is_offline(offline: None, hub: FakeHub) -> None:
    [path] = Download.for_entry(find_entry("Qwen3-4B")).run()
    assert path.read_bytes() == hub.repos[REPO][NAME]
    assert constants.HF_HUB_OFFLINE is True  # the app process itself stayed offline
