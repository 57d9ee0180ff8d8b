"""config: join credentials saved for this user only, in the folder IOP_TUI_CONFIG_DIR names."""

from __future__ import annotations

import stat

from iop_tui.core import config


def test_credentials_round_trip_with_private_modes(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "cfg" / "iop-tui"
    monkeypatch.setenv(config.CONFIG_ENV, str(folder))
    assert config.config_dir() == folder
    assert config.load_credentials() is None
    path = config.save_credentials("ws://127.0.0.1:8765/", "s3cret-token")
    assert path.parent == folder
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert config.load_credentials() == ("ws://127.0.0.1:8765/", "s3cret-token")
    config.save_credentials("ws://example.org:1/", "other")  # overwriting keeps the mode
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.load_credentials() == ("ws://example.org:1/", "other")
    assert sorted(p.name for p in folder.iterdir()) == ["credentials.json"]  # no temp file left behind
    assert config.forget_credentials() is True
    assert config.load_credentials() is None and config.forget_credentials() is False


def test_unreadable_or_partial_files_mean_no_credentials(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(config.CONFIG_ENV, str(tmp_path))
    config.credentials_path().write_text("{not json")
    assert config.load_credentials() is None
    config.credentials_path().write_text('{"url": "ws://x/"}')
    assert config.load_credentials() is None
    config.credentials_path().write_text("[1, 2]")
    assert config.load_credentials() is None


def test_default_folder_is_the_platform_config_dir(monkeypatch) -> None:
    monkeypatch.delenv(config.CONFIG_ENV, raising=False)
    assert config.config_dir().name == "iop-tui"


def test_two_clients_saving_at_the_same_moment_both_succeed_and_leave_one_whole_file(tmp_path, monkeypatch) -> None:
    """Found running two members' clients on one machine: the second said "Could not save the
    invitation (No such file or directory)". Another client's save, done whole between this
    one's write and its rename, must not take this one's file from under it."""
    import os

    monkeypatch.setenv(config.CONFIG_ENV, str(tmp_path))
    real_replace = os.replace
    saves_between = [1]

    def replace_after_another_save(src, dst):
        if saves_between:
            saves_between.pop()
            config.save_credentials("ws://127.0.0.1:8765/", "sams-token")  # the other client, in between
        real_replace(src, dst)

    monkeypatch.setattr(config.os, "replace", replace_after_another_save)
    config.save_credentials("ws://127.0.0.1:8765/", "danas-token")
    assert config.load_credentials() == ("ws://127.0.0.1:8765/", "danas-token")  # the last to finish
    assert sorted(p.name for p in tmp_path.iterdir()) == ["credentials.json"]
