"""A fake of the Hugging Face Hub's HTTP API on 127.0.0.1, for huggingface_hub (HF_ENDPOINT).

It answers what snapshot_download asks, as the Hub does: repo info with its file list
(`/api/models/<id>/revision/<rev>`, `/api/datasets/...`), file metadata and content
(`/<id>/resolve/<rev>/<file>`, `/datasets/<id>/resolve/...`) with the commit and ETag
headers, 404 with the Hub's error code for an unknown repo, and the Hub's redirect from a
legacy bare name (gpt2-large) to its canonical id (openai-community/gpt2-large).
"""

from __future__ import annotations

import hashlib
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlparse

from tests.models.local_server import LocalServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub(LocalServer):
    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], dict[str, bytes]] = {}  # (kind, id) -> {file: bytes}
        self.moved: dict[tuple[str, str], str] = {}  # legacy (kind, name) -> canonical id
        self.requests: list[str] = []
        super().__init__()

    @property
    def url(self) -> str:
        return self.base_url

    def add_folder(self, repo_id: str, folder: Path, *, kind: str = "models", legacy_name: str | None = None) -> None:
        files = {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*"))
                 if path.is_file() and ".cache" not in path.parts}
        self.repos[(kind, repo_id)] = files
        if legacy_name:
            self.moved[(kind, legacy_name)] = repo_id

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                path = unquote(urlparse(self.path).path)
                hub.requests.append(f"{self.command} {path}")
                if path.startswith("/api/"):
                    return self._info(path[len("/api/"):], body)
                kind = "datasets" if path.startswith("/datasets/") else "models"
                return self._file(path.removeprefix("/datasets/").lstrip("/"), kind, body)

            def _split(self, rest: str, marker: str) -> tuple[str, str] | None:
                if marker not in rest:
                    return None
                repo, _, tail = rest.partition(marker)
                return repo, tail

            def _info(self, rest: str, body: bool) -> None:
                kind, _, rest = rest.partition("/")
                view = "tree" if "/tree/" in rest else "revision"
                repo, _, revision = rest.partition(f"/{view}/")
                if (kind, repo) in hub.moved:
                    return self._redirect(f"/api/{kind}/{hub.moved[kind, repo]}/{view}/{revision}")
                files = hub.repos.get((kind, repo))
                if files is None:
                    return self._missing()
                if view == "tree":  # the file list snapshot_download walks
                    answer = [{"type": "file", "path": name, "size": len(data),
                               "oid": hashlib.sha1(data).hexdigest()} for name, data in files.items()]
                else:
                    answer = {"id": repo, "sha": COMMIT, "private": False,
                              "siblings": [{"rfilename": name, "size": len(data)} for name, data in files.items()]}
                self._send(200, json.dumps(answer).encode(), {"Content-Type": "application/json"}, body)

            def _file(self, rest: str, kind: str, body: bool) -> None:
                found = self._split(rest, "/resolve/")
                if found is None:
                    return self._missing()
                repo, tail = found
                revision, _, name = tail.partition("/")
                if (kind, repo) in hub.moved:
                    prefix = "/datasets" if kind == "datasets" else ""
                    return self._redirect(f"{prefix}/{hub.moved[kind, repo]}/resolve/{revision}/{name}")
                files = hub.repos.get((kind, repo))
                if files is None or name not in files:
                    return self._missing(entry=files is not None)
                data = files[name]
                headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                           "Content-Type": "application/octet-stream"}
                self._send(200, data, headers, body)

            def _redirect(self, location: str) -> None:
                self._send(307, b"", {"Location": location}, False)

            def _missing(self, entry: bool = False) -> None:
                code = "EntryNotFound" if entry else "RepoNotFound"
                self._send(404, json.dumps({"error": code}).encode(), {"X-Error-Code": code,
                                                                       "Content-Type": "application/json"}, True)

            def _send(self, status: int, data: bytes, headers: dict[str, str], body: bool) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

        return Handler
