"""The host's pip settings, made usable inside a `docker build` without being stored in the image.

docker/build.sh runs this before a build. It reads the settings pip uses on this machine
(``pip config list``: config files and ``PIP_*`` variables) and writes into OUT:

* ``pip.conf``: the same index, extra indexes, find-links, trusted hosts, timeout, with every
  local folder (``file://`` index, find-links directory) replaced by an address on
  ``127.0.0.1`` that ``serve`` answers, the CA bundle and the constraints file replaced by
  the paths where the Dockerfiles mount them;
* ``pip-cert.pem``, ``pip-constraints.txt``: copies of the CA bundle and constraints files;
* ``served/``: one symlink per local folder, the root ``serve`` answers from;
* ``secrets``: the ``--secret`` flags for docker build, one a line.

The Dockerfiles mount the three files as BuildKit secrets for the one RUN that installs
(``/etc/pip.conf``, ``/run/secrets/pip-cert.pem``, ``/run/secrets/pip-constraints.txt``):
secrets are never part of a layer, and a build without them uses pip's defaults. The build
runs with ``--network host`` so that it reaches ``serve``.

Stdlib only. Usage:
  python3 docker/pip_for_build.py prepare OUT --port PORT
  python3 docker/pip_for_build.py serve OUT --port PORT     (until killed)
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

CERT_IN_BUILD = "/run/secrets/pip-cert.pem"
CONSTRAINTS_IN_BUILD = "/run/secrets/pip-constraints.txt"
PASSED = ("index-url", "extra-index-url", "find-links", "trusted-host", "cert", "constraint",
          "default-timeout", "timeout", "retries", "no-index", "only-binary", "prefer-binary")


def host_settings(python: str) -> dict[str, str]:
    """pip's effective settings: ``pip config list`` (files, then environment), last one wins."""
    listed = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True,
                            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    settings: dict[str, str] = {}
    for line in listed.stdout.splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            continue
        name = key.rsplit(".", 1)[-1]
        if name in PASSED:
            settings["timeout" if name == "default-timeout" else name] = value.strip().strip("'\"")
    return settings


def local_folder(location: str) -> Path | None:
    """The folder a ``file://`` URL or a plain path names, if it is one on this machine."""
    path = Path(unquote(urlparse(location).path)) if location.startswith("file:") else Path(location)
    return path if path.is_absolute() and path.is_dir() else None


def prepare(out: Path, port: int, python: str) -> None:
    settings = host_settings(python)
    out.mkdir(parents=True, exist_ok=True)
    served = out / "served"
    served.mkdir(exist_ok=True)
    secrets: list[str] = []
    trusted = settings.pop("trusted-host", "").split()

    def served_url(location: str, index: bool) -> str:
        folder = local_folder(location)
        if folder is None:
            return location
        link = served / f"d{len(list(served.iterdir()))}"
        # an index's pages may link to files beside it (simple/x/ -> ../../files/), so serve its parent
        link.symlink_to(folder.parent if index else folder)
        if "127.0.0.1" not in trusted:
            trusted.append("127.0.0.1")
        return f"http://127.0.0.1:{port}/{link.name}/" + (f"{folder.name}/" if index else "")

    lines = ["[global]"]
    for key in ("index-url", "extra-index-url", "find-links"):
        if key in settings:
            urls = [served_url(v, index=key != "find-links") for v in settings.pop(key).split()]
            lines.append(f"{key} = " + " ".join(urls))
    if settings.get("cert") and Path(settings["cert"]).is_file():
        shutil.copyfile(settings.pop("cert"), out / "pip-cert.pem")
        lines.append(f"cert = {CERT_IN_BUILD}")
        secrets.append(f"--secret id=pip-cert,src={out / 'pip-cert.pem'}")
    constraints = [Path(p) for p in settings.pop("constraint", "").split() if Path(p).is_file()]
    if constraints:
        (out / "pip-constraints.txt").write_text("".join(p.read_text() + "\n" for p in constraints))
        lines.append(f"constraint = {CONSTRAINTS_IN_BUILD}")
        secrets.append(f"--secret id=pip-constraints,src={out / 'pip-constraints.txt'}")
    settings.pop("cert", None)
    for key, value in settings.items():
        lines.append(f"{key} = {value}")
    if trusted:
        lines.append("trusted-host = " + " ".join(trusted))
    (out / "pip.conf").write_text("\n".join(lines) + "\n")
    secrets.insert(0, f"--secret id=pip.conf,src={out / 'pip.conf'}")
    (out / "secrets").write_text("\n".join(secrets) + "\n")
    print("\n".join(lines[1:]))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
        pass


def serve(out: Path, port: int) -> None:
    handler = functools.partial(QuietHandler, directory=str(out / "served"))
    http.server.ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["prepare", "serve"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--python", default=sys.executable, help="whose pip settings (default: this one's)")
    args = parser.parse_args(argv)
    if args.action == "prepare":
        prepare(args.out, args.port, args.python)
    else:
        serve(args.out, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
