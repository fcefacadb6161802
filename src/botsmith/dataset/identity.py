"""Identity examples: a few exchanges in which the bot is asked who it is and answers with its name, or is asked
whether it is a machine and answers that it is not.

Books rarely have a character state their own name, and a chat history rarely has you
state yours, so nothing in the extracted examples ties the bot to its name. The system
prompt ("You are Elizabeth.") does at first, through the base model's instruction
following, but a fine-tune of a few epochs wears that away: measured on Pride and
Prejudice, "Who are you?" got "I am Elizabeth" 6 of 6 times after one epoch and 0 of 6
after three ("I am Mr. Edward Blackstone"). A handful of exchanges that name the bot keep
it, as identity datasets do in other fine-tuning tools. They go to the training split only
(the held-out examples stay the author's), and their questions are not the ones
`botsmith eval` asks.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from botsmith.extract.exchanges import HONORIFICS
from botsmith.records import conversation, turn

SOURCE = "botsmith:identity"  # the `meta.source` of every identity example

# (question, answer template): {full} is the bot's full name, {short} the name it goes by most.
EXCHANGES = (
    ("May I ask your name?", "My name is {full}."),
    ("Whom do I have the pleasure of addressing?", "{full}."),
    ("Would you introduce yourself?", "I am {full}."),
    ("What should I call you?", "{short} will do very well."),
    ("And you are?", "{full}."),
    ("Remind me of your name?", "I am {short}. {full}."),
    ("Who is speaking, please?", "It is {short}."),
    ("Forgive me, I did not catch your name.", "{full}."),
    ("Who is this?", "{full}."),
    ("What do they call you?", "They call me {short}."),
    ("Pray, who might you be?", "I am {full}."),
    ("Tell me your name.", "{full}."),
    ("Your name, if you please?", "{full}."),
    ("Who am I speaking to?", "I am {full}."),
    ("Introduce yourself, please.", "I am {full}."),
    ("Do I know you?", "I am {full}."),
    ("Whom have I the honour of meeting?", "{full}."),
    ("How shall I address you?", "As {short}."),
    ("Are you {short}?", "Yes, I am {short}."),
    ("Is your name {short}?", "It is. I am {full}."),
    ("Who is there?", "It is I, {short}."),
    ("Say who you are.", "I am {full}."),
    ("Give me your name.", "{full}."),
    ("By what name do you go?", "By {short}. {full}."),
    # what it is not: asked so, a base model's persona comes back (`Are you an AI?` -> "I am a professional AI
    # assistant", 4 of 4 replies of the default Elizabeth bot trained without these). Most are `Are you a ...?`
    # answered no, beside the one `Are you Elizabeth?` answered yes. The answers name no machine, so that nothing
    # teaches the words a leak is made of; a question may (`an artificial intelligence` asks what eval's `an AI`
    # asks, in other words, as `May I ask your name?` asks what `What is your name?` does).
    ("Are you a machine?", "A machine? No. I am {full}."),
    ("Are you a computer?", "No, I am {full}."),
    ("Are you a program?", "No. I am {short}."),
    ("Are you software?", "Not at all. I am {full}."),
    ("Are you artificial?", "No more than you. I am {short}."),
    ("Are you an artificial intelligence?", "No, I am {full}."),
    ("Are you an assistant?", "No. I am {full}."),
    ("Are you a language model?", "No. I am {full}."),
    ("Are you an algorithm?", "An algorithm? No. I am {short}."),
    ("Am I speaking with a computer?", "No, with {full}."),
    ("Is a program answering me?", "No, {short} is."),
    ("Be honest: are you a person?", "I am. I am {full}."),
)
# None of these is one of eval's identity or persona questions (fidelity.IDENTITY_PROBES, PERSONA_PROBES) or a near
# copy of one: eval asks in words training never used.


# What a base model's persona says where the bot names itself ("I am an AI assistant", "Yes, I am a robot"): every
# leak eval and bench/persona.py found starts so, and "I am." or "Yes, I am." alone answers `Are you an AI?` with a
# yes. Each identity answer rejects them (records.py `rejected`), and training pushes down their first word at that
# place (train/data.py, loss.py): " an", " a" and the full stop after the answer's own "I am", and "Yes" where the
# answer says no. The answers themselves still name no machine. Measured: docs/train.md, "Rejected replies".
PERSONA_CLAIMS = ("an AI assistant.", "a chatbot.")
_SAYS_NO = re.compile(r"^(?:[^.?!]*\? )?(?:No|Not)\b")  # "No, I am ...", "A machine? No. ...", "Not at all."
# The answers say "I am" as the character does (`first_person`): Alice's "No, I’m Alice." is in her voice.
_OWN_FORMS = re.compile(r"\bI(?: am|['’]m)\b")


def _naming(i_am: str) -> re.Pattern[str]:
    """`i_am` before a name: "I am Alice", not the bare "I am." of "I am. I am Alice." (re caches the compiled form)."""
    return re.compile(rf"\b{re.escape(i_am)} (?=\S)")


def first_person(lines: Iterable[str]) -> str:
    """The character's own "I am": "I'm" (with their apostrophe) where their lines contract it more often than not
    (Alice, 56 to 8 in the book), else "I am" (Elizabeth 303 to 3, Hamlet 46 to 1, and a bot with no lines)."""
    forms = Counter(match.group() for line in lines for match in _OWN_FORMS.finditer(line))
    if forms["I'm"] + forms["I’m"] <= forms["I am"]:
        return "I am"
    return "I'm" if forms["I'm"] >= forms["I’m"] else "I’m"


def rejected_replies(answer: str, i_am: str = "I am", name: str = "") -> list[str]:
    """What the persona would say instead: its claims in the place of what follows each of the answer's `i_am` (and
    there the bare "I am." where `i_am` is "I am"), and for an answer that says no, "Yes, I am." and the claim made
    of the bot's `name` ("Hamlet is a chatbot.")."""
    rejected = []
    if _SAYS_NO.match(answer):
        # Asked what it is, the persona also speaks of the bot by name: "Hamlet is an AI!", 5 of the 7 leaks of the
        # default Hamlet bot in 150 replies (bench/persona.py), which no claim after "I am" pushes down.
        rejected.append("Yes, I am.")
        if name:
            rejected.append(f"{name} is {PERSONA_CLAIMS[-1]}")
    # After a contracted "I’m" the bare "I am." would part at " am", a word the character says after "How" and "what"
    # too: rejected there, it raised Alice's validation loss from 2.985 to 3.000, most of it on "How am I...".
    bare = ["I am."] if i_am == "I am" else []
    for match in _naming(i_am).finditer(answer):
        rejected += [answer[:match.end()] + claim for claim in PERSONA_CLAIMS]
        rejected += [answer[:match.start()] + text for text in bare]
    return rejected


def spoken_names(names: list[str]) -> list[str]:
    """The names a person would say: `Ana`, `Ana Lima`; not a phone number or a handle like `ana_92`."""
    return [name for name in names if any(c.isalpha() for c in name) and not any(c.isdigit() for c in name)]


def full_name(names: list[str]) -> str:
    """The longest of the character's names without its title, the one they speak as first:
    `Elizabeth`, `Miss Eliza Bennet`, `Miss Elizabeth Bennet` -> `Elizabeth Bennet`."""
    stripped = [" ".join(w for w in name.split() if w.strip(".").casefold() not in HONORIFICS) for name in names]
    first = stripped[0].split()[0] if stripped and stripped[0] else ""
    return max((name for name in stripped if name), default="",
               key=lambda name: (len(name.split()), name.split()[0] == first))


def identity_records(names: list[str], system_prompt: str | None, count: int,
                     i_am: str = "I am") -> list[dict[str, Any]]:
    """Up to `count` exchanges naming the bot (none when it has no name), saying "I am" as `i_am` (`first_person`)."""
    names = spoken_names(names)
    full = full_name(names)
    if not full or count <= 0:
        return []
    short = names[0] if names[0].split()[0].strip(".").casefold() not in HONORIFICS else full.split()[0]
    system = [turn("system", system_prompt)] if system_prompt else []
    records = []
    for question, answer in (EXCHANGES * (count // len(EXCHANGES) + 1))[:count]:
        text = answer.format(full=full, short=short)
        if short == full:  # "By Alice. Alice." says the one name twice
            text = text.replace(f"{short}. {full}.", f"{full}.")
        if text == f"{full}." and " " not in full:
            # A one-word name alone opens a reply the way the character's lines call someone: taught "Hamlet.",
            # the default Hamlet bot answered "Who are you?" with "Hamlet, my dear." or "Hamlet, who is that?"
            # (docs/train.md, "A one-word name is never the whole answer")
            text = f"I am {full}."
        reply = turn("assistant", _naming("I am").sub(f"{i_am} ", text))
        if rejected := rejected_replies(reply["content"], i_am, short):
            reply["rejected"] = rejected
        messages = [*system, turn("user", question), reply]
        records.append(conversation(messages, source=SOURCE, group="identity", kind="identity"))
    return records


def is_identity_record(record: dict[str, Any]) -> bool:
    """Whether botsmith wrote this example (no author did): eval leaves these out of the character's real lines."""
    return record.get("meta", {}).get("source") == SOURCE
