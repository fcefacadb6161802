"""Chat exports become training conversations in one person's voice."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from botsmith.bot_folder import new_bot
from botsmith.chats import add_chats, build_chat_examples
from botsmith.chats.conversations import session_turns, split_sessions
from botsmith.chats.message import ChatMessage
from botsmith.chats.scrub import Scrubber
from botsmith.errors import BotsmithError

FIXTURES = Path(__file__).parent / "fixtures"
START = datetime(2024, 1, 1, 12, 0)


def msg(author: str, minutes: float, text: str) -> ChatMessage:
    when = START + timedelta(minutes=minutes)
    return ChatMessage(author, when.isoformat(), when, text)


def write_whatsapp(path: Path, lines: list[tuple[str, float, str]]) -> Path:
    rows = []
    for author, minutes, text in lines:
        when = START + timedelta(minutes=minutes)
        rows.append(f"{when:%d/%m/%Y, %H:%M} - {author}: {text}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def chat_bot(tmp_path, tiny_llama):
    return new_bot(tmp_path / "me-bot", mode="chat", base_model=str(tiny_llama))


def test_sessions_split_on_the_full_time_difference():
    # 1 day + 1 minute apart: timedelta.seconds alone would say 60 s.
    messages = [msg("a", 0, "x"), msg("b", 1, "y"), msg("a", 24 * 60 + 2, "z")]
    assert [len(s) for s in split_sessions(messages, 60)] == [2, 1]


def test_turns_merge_within_window_and_keep_voice():
    session = [msg("Friend", 0, "you there?"), msg("Me", 1, "yes!!"), msg("Me", 2, "wait 😅\nOK"),
               msg("Me", 30, "back"), msg("Friend", 31, "cool")]
    turns = session_turns(session, {"me"}, 5, named=False, scrubber=Scrubber())
    assert turns == [{"role": "user", "content": "you there?"},
                     {"role": "assistant", "content": "yes!!\nwait 😅\nOK"},
                     {"role": "assistant", "content": "back"}]  # the trailing user turn is trimmed


def test_examples_start_on_user_end_on_assistant_and_skip_media_only_turns():
    session = [msg("Me", 0, "hello?"), msg("Ann", 1, "hi"), msg("Me", 2, "[image]"), msg("Bob", 3, "nice pic"),
               msg("Me", 4, "thanks"), msg("Ann", 5, "bye")]
    turns = session_turns(session, {"me"}, 0, named=True, scrubber=Scrubber())
    assert turns == [{"role": "user", "content": "hi", "name": "Ann"},
                     {"role": "user", "content": "nice pic", "name": "Bob"},
                     {"role": "assistant", "content": "thanks"}]


def test_scrubbing_replaces_only_what_is_asked():
    scrubber = Scrubber(emails=True, phones=True, urls=True, names=True, me={"me"})
    scrubber.add_people(["Ann Lee", "bob"])
    text = "Ann said mail ann@example.com or call +44 7700 900123, see https://x.io/a. Bob too! at 12:30 on 1/2/2024"
    assert scrubber.text(text) == ("Person 1 said mail [email] or call [phone], see [url]. Person 2 too! "
                                   "at 12:30 on 1/2/2024")
    assert scrubber.name("bob") == "Person 2"


def test_build_chat_examples_from_a_bot(chat_bot, tmp_path):
    export = write_whatsapp(tmp_path / "chat.txt", [
        ("Sue", 0, "hey, lunch?"), ("Me Too", 1, "yes!"), ("Me Too", 2, "where?"), ("Sue", 3, "the usual"),
        ("Me Too", 4, "ok 👍"), ("Sue", 200, "made it home?"), ("Me Too", 201, "yep"),
    ])
    add_chats(chat_bot.root, [export])
    config = chat_bot.config().with_overrides("chats", me=["me too"])
    records = build_chat_examples(chat_bot, config)
    assert [r["messages"] for r in records] == [
        [{"role": "user", "content": "hey, lunch?"}, {"role": "assistant", "content": "yes!\nwhere?"},
         {"role": "user", "content": "the usual"}, {"role": "assistant", "content": "ok 👍"}],
        [{"role": "user", "content": "made it home?"}, {"role": "assistant", "content": "yep"}],
    ]
    assert [r["meta"] for r in records] == [{"source": "chat.txt", "group": "chat.txt#1"},
                                            {"source": "chat.txt", "group": "chat.txt#2"}]


def test_long_sessions_are_cut_into_windows_that_fit(chat_bot, tmp_path):
    lines = []
    for index in range(40):
        lines += [("Sue", index * 2, f"question number {index} about the weather today"),
                  ("Me", index * 2 + 1, f"answer number {index}, it is sunny")]
    add_chats(chat_bot.root, [write_whatsapp(tmp_path / "long.txt", lines)])
    config = chat_bot.config().with_overrides("chats", me=["Me"]).with_overrides("train", max_length=64)
    records = build_chat_examples(chat_bot, config)
    assert len(records) > 5
    assert {r["meta"]["group"] for r in records} == {"long.txt#1"}
    from transformers import AutoTokenizer

    from botsmith.chat_format import chat_format_for
    tokenizer = AutoTokenizer.from_pretrained(config.bot.base_model)
    fmt = chat_format_for(tokenizer)
    for record in records:
        assert record["messages"][0]["role"] == "user" and record["messages"][-1]["role"] == "assistant"
        rendered = fmt.render(record["messages"], add_generation_prompt=False)
        assert len(tokenizer(rendered, add_special_tokens=False)["input_ids"]) <= 64
    # every turn lands in exactly one window, in order
    flat = [m["content"] for r in records for m in r["messages"]]
    assert flat == [text for _, _, text in lines]


def test_unknown_me_fails_loudly_with_the_frequent_authors(chat_bot, tmp_path):
    add_chats(chat_bot.root, [FIXTURES / "whatsapp_android.txt"])
    with pytest.raises(BotsmithError, match=r"never appears.*most frequent authors: Ana \(4\)"):
        build_chat_examples(chat_bot, chat_bot.config().with_overrides("chats", me=["Nobody"]))
    with pytest.raises(BotsmithError, match="pass --me NAME"):
        build_chat_examples(chat_bot, chat_bot.config())


def test_discord_discriminator_and_case_do_not_matter_for_me(chat_bot):
    add_chats(chat_bot.root, [FIXTURES / "discord_plain_old.txt"])
    records = build_chat_examples(chat_bot, chat_bot.config().with_overrides("chats", me=["DAVE"], session_gap_minutes=600))
    assert records[0]["messages"][-1] == {"role": "assistant", "content": "noon: lunch?\n[image]"}


def test_jsonl_conversations_pass_through_without_me(chat_bot):
    add_chats(chat_bot.root, [FIXTURES / "openai.jsonl", FIXTURES / "sharegpt.jsonl"])
    records = build_chat_examples(chat_bot, chat_bot.config())
    assert [r["messages"] for r in records] == [
        [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"},
         {"role": "assistant", "content": "hey 👋"}],
        [{"role": "user", "content": "q", "name": "Zed"}, {"role": "assistant", "content": "a"}],
        [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}],
    ]


def test_add_copies_never_moves_and_refuses_non_chats(chat_bot, tmp_path):
    source = shutil.copy(FIXTURES / "whatsapp_ios.txt", tmp_path / "ios.txt")
    first = add_chats(chat_bot.root, [source])
    again = add_chats(chat_bot.root, [source])
    assert Path(source).is_file() and first[0].copied and not again[0].copied
    assert sorted(first[0].authors) == ["Jo", "Mom"]  # "Family" only wrote the encryption notice
    not_chat = tmp_path / "notes.json"
    not_chat.write_text('{"title": "shopping", "items": ["milk"]}')
    with pytest.raises(BotsmithError, match=r"notes.json: not a chat export .*formats tried: discord-json"):
        add_chats(chat_bot.root, [FIXTURES / "telegram_single.json", not_chat])
    assert sorted(p.name for p in (chat_bot.raw_dir / "chats").iterdir()) == ["ios.txt"]  # nothing written


def test_a_reply_after_a_long_stretch_keeps_the_nearest_context(chat_bot, tmp_path):
    lines = [("Sue" if i % 2 else "Tom", i, f"chatter line {i} with several words in it") for i in range(30)]
    lines.append(("Me", 31, "finally, my answer"))
    add_chats(chat_bot.root, [write_whatsapp(tmp_path / "busy.txt", lines)])
    config = chat_bot.config().with_overrides("chats", me=["Me"]).with_overrides("train", max_length=64)
    [record] = build_chat_examples(chat_bot, config)
    contents = [m["content"] for m in record["messages"]]
    assert contents[-1] == "finally, my answer" and contents[-2] == "chatter line 29 with several words in it"
    assert 1 < len(contents) < 10 and record["messages"][0]["name"] in ("Sue", "Tom")


def test_a_chat_bot_is_told_whose_voice_it_is(chat_bot, tmp_path):
    import json

    from botsmith import system_prompt
    from botsmith.dataset import build_dataset

    lines = [("Sue", i * 2, f"how was day {i}?") if i % 2 == 0 else ("Ana Lima", i * 2, f"fine, day {i} was fine")
             for i in range(20)]
    add_chats(chat_bot.root, [write_whatsapp(tmp_path / "chat.txt", lines)])
    config = chat_bot.config().with_overrides("chats", me=["+44 7700 900123", "ana_92", "Ana Lima"])
    result = build_dataset(chat_bot.root, config, log=lambda line: None)
    assert result.stats["system_prompt"] == "You are Ana Lima."  # a name, not the number or the handle
    identity = [json.loads(line) for line in result.train_path.read_text().splitlines() if '"identity"' in line]
    assert identity and all(r["messages"][0]["content"] == "You are Ana Lima." for r in identity)
    assert all("Ana Lima" in r["messages"][-1]["content"] and "7700" not in r["messages"][-1]["content"]
               for r in identity)
    assert system_prompt.for_build(config.with_overrides("chats", me=["+44 7700 900123"])) is None
    assert system_prompt.for_build(config.with_overrides("bot", system_prompt="Be brief.")) == "Be brief."
