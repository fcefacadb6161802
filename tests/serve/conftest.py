"""Real servers on 127.0.0.1 (random ports) around the parrot and the tiny random model."""

from __future__ import annotations

import pytest

from tests.chat.parrot import session_parrot


@pytest.fixture(scope="session")
def parrot_chatbot(tmp_path_factory):
    from botsmith.chat import Chatbot
    from botsmith.config import GenerateSection

    # float32: choices decoded side by side are then the ones asked one by one (their sums round alike to
    # float32 precision; in bf16 a sampled token may flip on some CPUs)
    return Chatbot.from_model(session_parrot(tmp_path_factory), name="parrot",
                              generate=GenerateSection(temperature=0.0, dtype="float32"), log=lambda line: None)


@pytest.fixture(scope="module")
def server(parrot_chatbot):
    from botsmith.serve import start_server

    running = start_server(parrot_chatbot)
    yield running
    running.stop()


@pytest.fixture
def http(server):
    import httpx

    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client
