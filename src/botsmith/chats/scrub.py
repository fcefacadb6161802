"""Optional scrubbing of personal details from training turns: e-mail addresses, phone
numbers, URLs, and other people's names (replaced by stable "Person N" labels).

Only what is asked for is touched; the rest of the text (emoji, casing, punctuation:
the voice) stays exactly as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
# International or local numbers of 7+ digits, with the usual separators; not dates or times.
PHONE = re.compile(r"(?<![\w/:.-])(?:\+|00)?\d(?:[ .\-()]{0,2}\d){6,14}(?![\w/:-])")


@dataclass
class Scrubber:
    emails: bool = False
    phones: bool = False
    urls: bool = False
    names: bool = False
    me: set[str] = field(default_factory=set)  # normalised names never replaced
    labels: dict[str, str] = field(default_factory=dict)  # other person's name -> "Person N"
    _pattern: re.Pattern[str] | None = None

    def add_people(self, names: list[str]) -> None:
        """Register other people's names (full and first word) so texts can be scrubbed of them."""
        for name in names:
            if name and name not in self.labels and name.casefold() not in self.me:
                self.labels[name] = f"Person {len(self.labels) + 1}"
        self._pattern = None

    def name(self, name: str | None) -> str | None:
        if not self.names or not name:
            return name
        return self.labels.get(name, name)

    def text(self, text: str) -> str:
        if self.emails:
            text = EMAIL.sub("[email]", text)
        if self.urls:
            text = URL.sub("[url]", text)
        if self.phones:
            text = PHONE.sub("[phone]", text)
        if self.names and self.labels:
            text = self._names().sub(lambda match: self._label(match[0]), text)
        return text

    def _names(self) -> re.Pattern[str]:
        if self._pattern is None:
            variants = set()
            for name in self.labels:
                variants.add(name)
                first = re.split(r"[\s#@._-]+", name.strip())[0]
                if len(first) >= 3:
                    variants.add(first)
            alternatives = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
            self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
        return self._pattern

    def _label(self, found: str) -> str:
        for name, label in self.labels.items():
            first = re.split(r"[\s#@._-]+", name.strip())[0]
            if found.casefold() in (name.casefold(), first.casefold()):
                return label
        return found
