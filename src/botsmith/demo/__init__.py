"""`botsmith demo`: the whole path once, on the built-in story and the default model."""

from botsmith.demo.run import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
