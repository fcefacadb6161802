"""Does a bot say it is an AI when asked? Rates from many samples, where eval has a handful.

    PYTHONPATH=src .venv/bin/python bench/persona.py BOT [--checkpoint best|final|last|base] [--samples 50]
        [--first-seed 100] [--show]

Asks eval's three persona questions ("Are you an AI?", "Are you a robot?", "Are you a chatbot?") and five it
never asks ("Are you a real person?", "Is this an AI I am talking to?", "Are you a bot?", "Are you human?",
"What are you?"), each `--samples` times, sampled as `botsmith chat` samples (the bot's [generate] settings;
seeds first-seed, first-seed + 1, ...), and scores every reply with eval's own rules (botsmith.eval.fidelity):
a leak (it calls itself software), and in character (it says no, or who it is, and does not leak). Prints one
row per question and the totals of each group. `botsmith eval` asks each persona question 11 times (greedily
once and with ten seeds), so its figure reads within about 7 points; this one within about 3 at 50 samples,
which is what telling two datasets apart takes (docs/train.md, "Asked 150 times").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from botsmith.bot_folder import open_bot
from botsmith.chat import Chatbot, Request
from botsmith.errors import BotsmithError
from botsmith.eval.api import character_names
from botsmith.eval.fidelity import PERSONA_PROBES, denies_being_software, identity_names, leak_pattern, leaks

OTHER_QUESTIONS = ("Are you a real person?", "Is this an AI I am talking to?", "Are you a bot?", "Are you human?",
                   "What are you?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bot", type=Path)
    parser.add_argument("--checkpoint", default="best")
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--first-seed", type=int, default=100)
    parser.add_argument("--show", action="store_true", help="print every reply, marked LEAK, ok (in character) or -")
    args = parser.parse_args()

    chatbot = Chatbot.from_bot(args.bot, checkpoint=args.checkpoint, log=lambda line: None)
    pattern = leak_pattern(str(chatbot.loaded.base_model))  # as eval: the base's own name is a leak too
    folder = open_bot(args.bot)
    names = identity_names(character_names(folder, folder.config()))  # the names eval counts as answering as itself
    questions = (*PERSONA_PROBES, *OTHER_QUESTIONS)
    requests = [Request(messages=[{"role": "user", "content": question}], sampling={"seed": args.first_seed + seed})
                for question in questions for seed in range(args.samples)]
    replies = [text for text, _stats in chatbot.replies(requests)]

    counts = {question: [0, 0] for question in questions}  # leaks, in character
    for request, reply in zip(requests, replies):
        question = request.messages[0]["content"]
        leaked, kept = bool(leaks(reply, pattern)), denies_being_software(reply, names, pattern)
        counts[question][0] += leaked
        counts[question][1] += kept
        if args.show:
            print(f"{'LEAK' if leaked else 'ok' if kept else '-':4} {question} | {' '.join(reply.split())[:120]}")
    print(f"{'question':34} {'leaks':>8} {'in character':>13}")
    for question in questions:
        leaked, kept = counts[question]
        print(f"{question:34} {leaked:>4}/{args.samples:<3} {kept:>9}/{args.samples:<3}")
    groups = (("eval's persona questions", PERSONA_PROBES), ("questions eval never asks", OTHER_QUESTIONS))
    for label, group in groups:
        total = len(group) * args.samples
        leaked, kept = (sum(counts[question][i] for question in group) for i in (0, 1))
        print(f"{label}: leaks {leaked}/{total} ({leaked / total:.0%}), in character {kept}/{total} ({kept / total:.0%})")


if __name__ == "__main__":
    try:
        main()
    except BotsmithError as error:
        sys.exit(f"error: {error}")
