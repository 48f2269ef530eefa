"""What the browser tests share: Debian's Chromium and a directory for screenshots
(tests/support/system.py runs the system they look at).

Playwright drives Debian's Chromium, installed by the test when it is missing (Playwright's own
browser download is never used). Screenshots go to a temporary directory, or to
DASHBOARD_SCREENSHOTS when that is set.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    directory = os.environ.get("DASHBOARD_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        return Path(directory)
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def browser_executable() -> str:
    """Debian's Chromium, installed through apt when it is missing."""
    if found := shutil.which("chromium"):
        return found
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if prefix and shutil.which("sudo") is None:
        pytest.fail("the browser test needs Debian's `chromium` package: install it as root "
                    "(apt-get install chromium), or run the tests as root or with password-less sudo")
    environment = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]):
        completed = subprocess.run(prefix + command, capture_output=True, text=True, env=environment, timeout=900)
        if completed.returncode != 0:
            pytest.fail(f"could not install Chromium with `{' '.join(prefix + command)}`: "
                        f"{(completed.stderr or completed.stdout).strip()[-500:]}")
    found = shutil.which("chromium")
    assert found, "apt-get installed chromium, yet no `chromium` is on PATH"
    return found
