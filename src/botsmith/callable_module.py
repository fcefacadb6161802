"""Let `botsmith.train(...)` and `botsmith.serve(...)` work whatever was imported first.

The public API names a few functions after the stage packages that hold them. Once
`import botsmith.train` has run, Python binds the attribute `botsmith.train` to the
package, and the lazy lookup in botsmith/__init__.py is never asked again. Making the
package itself callable keeps both spellings right: `botsmith.train(bot)` and
`from botsmith.train import train`.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any


def make_callable(module_name: str, function_name: str) -> None:
    """Calling module `module_name` calls its attribute `function_name`."""

    class CallableModule(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            function: Callable[..., Any] = getattr(self, function_name)
            return function(*args, **kwargs)

    sys.modules[module_name].__class__ = CallableModule
