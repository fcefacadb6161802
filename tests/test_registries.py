"""The three registries (sources, chat formats, exporters) work one way: built-ins registered at import with the
public call, no silent overwrite of an entry, any registry module importable first (no import cycles)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from botsmith.chats import registry as chats_registry
from botsmith.chats.export_format import ExportFormat
from botsmith.errors import BotsmithError
from botsmith.export import api as export_api
from botsmith.sources import registry as sources_registry


def _register_source(name, function, **options):
    return sources_registry.register_source(name, function, **options)


def _register_format(name, function, **options):
    return chats_registry.register_format(ExportFormat(name, "test", lambda source: False, function), **options)


def _register_exporter(name, function, **options):
    return export_api.register_exporter(name, function, lambda job: name, **options)


REGISTRIES = {  # register(name, function, **options), the registry's table, the built-in names
    "sources": (_register_source, sources_registry._SOURCES, {"gutenberg", "files"}),
    "chat formats": (_register_format, chats_registry._FORMATS,
                     {"discord-json", "discord-csv", "discord-txt", "telegram", "slack", "jsonl", "whatsapp"}),
    "exporters": (_register_exporter, export_api._EXPORTERS, {"hf", "gguf", "gguf-lora"}),
}


@pytest.mark.parametrize("kind", sorted(REGISTRIES))
def test_a_taken_name_is_refused_unless_replaced_on_purpose(kind):
    register, table, builtins = REGISTRIES[kind]
    assert builtins <= set(table)
    def mine(*args, **kwargs):
        return None
    def other(*args, **kwargs):
        return None
    register("mine", mine)
    try:
        with pytest.raises(BotsmithError, match="'mine' is already registered"):
            register("mine", other)
        builtin = sorted(builtins)[0]
        with pytest.raises(BotsmithError, match="already registered"):
            register(builtin, other)
        assert _function(table["mine"]) is mine
        register("mine", other, replace=True)
        assert _function(table["mine"]) is other
    finally:
        table.pop("mine")


def _function(entry):
    """The registered callable, whatever the registry keeps around it."""
    if isinstance(entry, tuple):
        return entry[0]
    return getattr(entry, "parse", entry)


def test_a_user_source_survives_lookups():
    """Looking up a source no longer re-registers the built-ins over entries of the same name."""
    def my_files(*args, **kwargs):
        return None
    original = sources_registry._SOURCES["files"]
    sources_registry.register_source("files", my_files, replace=True)
    try:
        sources_registry.source_names()
        assert sources_registry.get_source("files") is my_files
    finally:
        sources_registry.register_source("files", original, replace=True)


@pytest.mark.parametrize("module", ["botsmith.sources.registry", "botsmith.chats.registry", "botsmith.export.api",
                                    "botsmith.chats.whatsapp", "botsmith.export.formats", "botsmith.export.gguf.lora"])
def test_each_module_imports_first_in_a_fresh_interpreter(module):
    """No import cycle: whichever module a program imports first, the built-ins are all there."""
    code = ("import importlib, sys; importlib.import_module(sys.argv[1]); "
            "from botsmith.sources.registry import source_names; from botsmith.chats.registry import formats; "
            "from botsmith.export.api import export_formats; "
            "print(len(source_names()), len(formats()), len(export_formats()))")
    out = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "7", "3"]
