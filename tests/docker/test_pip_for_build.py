"""docker/pip_for_build.py: the host's pip settings become a pip.conf for the build whose local
folders are served on 127.0.0.1, with the CA bundle and constraints as secret files."""

import importlib.util
import threading
import urllib.request

from drbench.paths import REPO_ROOT

spec = importlib.util.spec_from_file_location("pip_for_build", REPO_ROOT / "docker" / "pip_for_build.py")
pip_for_build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pip_for_build)


def test_local_indexes_are_served_and_files_become_secrets(tmp_path, monkeypatch):
    (tmp_path / "pypi" / "simple" / "demo").mkdir(parents=True)
    (tmp_path / "pypi" / "files").mkdir()
    (tmp_path / "pypi" / "files" / "demo-1.0-py3-none-any.whl").write_bytes(b"wheel")
    (tmp_path / "pypi" / "simple" / "demo" / "index.html").write_text(
        '<a href="../../files/demo-1.0-py3-none-any.whl">demo</a>')
    (tmp_path / "wheels").mkdir()
    (tmp_path / "ca.pem").write_text("CERT")
    (tmp_path / "constraints.txt").write_text("torch<=2.14.1")
    monkeypatch.setattr(pip_for_build, "host_settings", lambda python: {
        "extra-index-url": f"file://{tmp_path}/pypi/simple https://example.org/simple",
        "find-links": str(tmp_path / "wheels"), "cert": str(tmp_path / "ca.pem"),
        "constraint": str(tmp_path / "constraints.txt"), "timeout": "180"})
    out = tmp_path / "out"
    pip_for_build.prepare(out, 8123, "python3")
    conf = (out / "pip.conf").read_text()
    assert "extra-index-url = http://127.0.0.1:8123/d0/simple/ https://example.org/simple" in conf
    assert "find-links = http://127.0.0.1:8123/d1/" in conf and "trusted-host = 127.0.0.1" in conf
    assert "cert = /run/secrets/pip-cert.pem" in conf and "constraint = /run/secrets/pip-constraints.txt" in conf
    assert str(tmp_path) not in conf, "no host path reaches the build"
    assert (out / "pip-cert.pem").read_text() == "CERT"
    assert "torch<=2.14.1" in (out / "pip-constraints.txt").read_text()
    assert (out / "secrets").read_text().split("\n")[0] == f"--secret id=pip.conf,src={out / 'pip.conf'}"

    server = pip_for_build.http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), pip_for_build.functools.partial(pip_for_build.QuietHandler, directory=str(out / "served")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        page = urllib.request.urlopen(f"{base}/d0/simple/demo/").read().decode()
        assert "../../files/demo-1.0-py3-none-any.whl" in page
        assert urllib.request.urlopen(f"{base}/d0/files/demo-1.0-py3-none-any.whl").read() == b"wheel", \
            "an index's pages link beside it, so its parent is served"
    finally:
        server.shutdown()
