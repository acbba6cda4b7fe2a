"""Make sure Debian's headless Chromium is there for the HTML leaderboard test.

tests/leaderboard/test_page.py opens the page in ``chromium --headless``; the
package is a system one (apt), not a Python one, so tox's ``tests`` env runs
this first. As root it installs the package when missing; otherwise it says
what to run, and the test then fails with the same message.

Stdlib only: it runs before drbench itself is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PACKAGE = "chromium"


def main() -> int:
    if shutil.which(PACKAGE):
        return 0
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"drbench: {PACKAGE} is missing and this is not a root Debian shell; install it "
              f"(sudo apt-get install -y {PACKAGE}) or the HTML leaderboard test fails", file=sys.stderr)
        return 0
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", PACKAGE], check=True, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
