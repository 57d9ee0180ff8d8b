"""Where iop-tui keeps a member's join credentials between runs.

A join token is a password to a therapy group: it lives in one JSON file
readable by its owner only (mode 0600, in a 0700 folder), under the
platform's config folder (``platformdirs.user_config_dir("iop-tui")``) or the
folder named by ``IOP_TUI_CONFIG_DIR`` (tests, several identities).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from platformdirs import user_config_dir

__all__ = ["CONFIG_ENV", "config_dir", "credentials_path", "save_credentials", "load_credentials", "forget_credentials"]

CONFIG_ENV = "IOP_TUI_CONFIG_DIR"
_FILE = "credentials.json"


def config_dir() -> Path:
    """The folder for iop-tui's settings (not created here)."""
    override = os.environ.get(CONFIG_ENV)
    return Path(override) if override else Path(user_config_dir("iop-tui"))


def credentials_path() -> Path:
    return config_dir() / _FILE


def save_credentials(url: str, token: str) -> Path:
    """Remember the server address and join token, readable by this user only."""
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(folder, 0o700)
    except OSError:
        pass
    path = folder / _FILE
    # A temp file of its own (mode 0600 from the start): another client of this user saving at the
    # same moment writes and renames its own, and the last rename wins whole.
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{_FILE}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fd = -1
            json.dump({"url": url, "token": token}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd != -1:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)
    return path


def load_credentials() -> tuple[str, str] | None:
    """The saved (url, token), or None when nothing (readable) was saved."""
    try:
        data = json.loads(credentials_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    url, token = data.get("url"), data.get("token")
    if isinstance(url, str) and isinstance(token, str) and url and token:
        return url, token
    return None


def forget_credentials() -> bool:
    """Delete the saved credentials; returns whether there were any."""
    try:
        credentials_path().unlink()
        return True
    except FileNotFoundError:
        return False
