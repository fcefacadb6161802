"""Extraction stage: text -> speech turns (`turns.py`) from novels (`dialogue/`) and plays (`plays.py`),
plus plain-text fragments (`fragments.py`) and exchange building (`exchanges.py`).

`extract_dialogue` and `DialogueResult` are the public names; the other modules are
imported by path (`botsmith.extract.plays.extract_play`, ...).
"""

from __future__ import annotations

from botsmith.extract.dialogue import DialogueResult, extract_dialogue
from botsmith.extract.turns import SpeechTurn, Utterance

__all__ = ["DialogueResult", "SpeechTurn", "Utterance", "extract_dialogue"]
