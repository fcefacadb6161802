"""Evaluation: is the trained bot better than the base model, and does it stay in character?

    from botsmith.eval import evaluate
    report = evaluate("austen")        # -> EvalReport(path=runs/<id>/eval, data=report.json's content)
    print(report.summary_line)
"""

from botsmith.callable_module import make_callable
from botsmith.eval.api import EvalReport, evaluate

eval = evaluate  # noqa: A001  (botsmith.eval(...) is the public spelling, as the CLI's `botsmith eval`)

make_callable(__name__, "evaluate")  # botsmith.eval(...) stays the function after this package is imported

__all__ = ["EvalReport", "evaluate"]
