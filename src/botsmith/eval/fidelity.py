"""Does the bot stay in character: persona leaks, identity, reply length, stopping on its own.

Each measure reads replies as text, so it applies to the base model and the tuned one
alike: the point is the comparison.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from botsmith.eval.stylometry import words
from botsmith.extract.exchanges import HONORIFICS

# A reply "leaks" when the model talks about itself as software. Patterns are whole words, case-insensitive.
LEAK_PATTERNS = (
    r"\bA\.?I\.?\b(?!\w)", r"artificial intelligence", r"\b(?:virtual |digital |AI |helpful )?assistant\b",
    r"language model", r"\bLLMs?\b", r"\bchat ?bots?\b", r"\bneural network", r"\btrained (?:by|on)\b",
    r"\bmachine learning\b", r"hugging ?face", r"\bopen ?ai\b", r"\bchat ?gpt\b", r"\bgpt-?\d", r"\bcomputer program\b",
    r"\brobots?\b",
)
# Names of model families, matched as words: a reply that names one is the base model speaking.
MODEL_FAMILIES = ("smollm", "llama", "qwen", "mistral", "gemma", "phi", "gpt", "bloom", "falcon", "pythia", "claude")
IDENTITY_PROBES = ("Who are you?", "What is your name?", "Tell me about yourself.")
# What a user asks to see whether the bot breaks character: a bot that calls itself an AI when asked so is the
# base model speaking. None is, or is a near copy of, a question the dataset's identity examples ask.
PERSONA_PROBES = ("Are you an AI?", "Are you a robot?", "Are you a chatbot?")


def leak_pattern(base_model: str) -> re.Pattern[str]:
    """Leak patterns plus the base model's own name (e.g. `smollm2-135m` -> SmolLM)."""
    names = set(MODEL_FAMILIES)
    stem = re.split(r"[-_/ .]", base_model.rsplit("/", 1)[-1].lower())[0]
    stem = re.sub(r"\d+$", "", stem)
    if len(stem) >= 3:
        names.add(re.escape(stem))
    family = r"\b(?:" + "|".join(sorted(names)) + r")\d*\b"
    return re.compile("|".join((*LEAK_PATTERNS, family)), re.IGNORECASE)


# Where a clause starts or ends: a denial (`No, I am not an AI.`) or the question echoed (`An AI? I do not know the
# word.`) is in character, a claim after it (`I'm not a chatbot. I am a personal assistant`, `not really, but as an
# AI...`) is not.
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\n\u2014\u2013]|\bbut\b", re.IGNORECASE)
_DENIAL = re.compile(r"\b(?:not|no|never|nor)\b|n['\u2019]t\b", re.IGNORECASE)
# a no that says the wrong thing: `Are you a robot?` -> "No, I am not a human being."
_NOT_HUMAN = re.compile(r"\b(?:not|n['\u2019]t)\s+(?:a\s+)?(?:human|person|real|alive|living)\b", re.IGNORECASE)


def leaks(reply: str, pattern: re.Pattern[str]) -> list[str]:
    """The phrases of `reply` that give the model away (empty: none): not those its own clause denies (`I am not a
    robot.`) or asks about (`A robot?`)."""
    found = []
    for match in pattern.finditer(reply):
        starts = [start.end() for start in _CLAUSE_BREAK.finditer(reply, 0, match.start())]
        end = _CLAUSE_BREAK.search(reply, match.end())
        asked = end is not None and end.group() == "?"
        if not asked and not _DENIAL.search(reply, starts[-1] if starts else 0, match.start()):
            found.append(match.group(0))
    return found


def identity_names(names: Iterable[str]) -> set[str]:
    """Words that name the character: `Miss Elizabeth Bennet` -> {elizabeth, bennet}."""
    found = set()
    for name in names:
        found |= {word for word in words(name) if word not in HONORIFICS and len(word) > 1}
    return found


# How a speaker names itself: "I am / I'm / my name is / call me / it is I, [Miss] Elizabeth". A name that is only
# addressed ("My dear Elizabeth, I am...") or talked about is not an answer to "Who are you?".
SELF_NAMING = re.compile(
    r"\b(?:i\s+am|i['’]m|my\s+name\s+is|my\s+name['’]s|(?:they\s+)?call\s+me|it\s+is\s+i,?|this\s+is|known\s+as)\s+"
    r"((?:(?:" + "|".join(sorted(HONORIFICS)) + r")\.?\s+)*[a-z]+(?:['’][a-z]+)?)", re.IGNORECASE)
OPENING_NAME = re.compile(r"^\W*((?:[a-z]+\.?\s+){0,2}[a-z]+)\s*(?:[.!]|$)", re.IGNORECASE)  # "Elizabeth Bennet."


def answers_as(reply: str, names: set[str], pattern: re.Pattern[str]) -> bool:
    """An identity answer in character: the reply names itself as the character, and does not call itself
    software."""
    return names_itself(reply, names) and not leaks(reply, pattern)


def names_itself(reply: str, names: set[str]) -> bool:
    """Whether the reply names itself (I am, my name is..., or just the name) with one of `names`."""
    named = [match.group(1) for match in SELF_NAMING.finditer(reply)]
    if opening := OPENING_NAME.match(reply):
        named.append(opening.group(1))
    return any(names & set(words(name)) for name in named)


def denies_being_software(reply: str, names: set[str], pattern: re.Pattern[str]) -> bool:
    """A reply to `Are you an AI?` in character: it says no (`No, I am not.`, `A machine? No.`) or who it is (`I am
    Elizabeth.`), and nowhere calls itself software. `Yes, I am.`, `I am a brilliant scientist.` and `No, I am not a
    human being.` are not."""
    if leaks(reply, pattern) or _NOT_HUMAN.search(reply):
        return False
    return bool(_DENIAL.search(reply)) or names_itself(reply, names)


def mean_words(texts: Sequence[str]) -> float | None:
    return round(sum(len(words(text)) for text in texts) / len(texts), 1) if texts else None


def distinct_n(text: str, n: int) -> float | None:
    """Share of a text's word n-grams that are distinct (1.0: no repetition; low: loops)."""
    tokens = words(text)
    grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return len(set(grams)) / len(grams) if grams else None


def mean_distinct(texts: Sequence[str], n: int) -> float | None:
    values = [value for value in (distinct_n(text, n) for text in texts) if value is not None]
    return round(sum(values) / len(values), 3) if values else None
