"""The OpenAI API's request shapes (the subset a local bot honours) and its error body.

Unknown fields are ignored rather than refused: chat front-ends send many options
(logit_bias, user, tools...) that a small local model has no use for, and OpenAI's
own server accepts them. `top_k`, `min_p`, `repetition_penalty` and `min_tokens` are the
usual extensions of local servers (vLLM, llama.cpp) and are accepted too, and `epsilon_cutoff`
(transformers' name).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


class APIError(Exception):
    """An error answered as {"error": {message, type, param, code}} with an HTTP status."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code

    def body(self) -> dict[str, Any]:
        return error_body(self.message, type=self.type, param=self.param, code=self.code)


def error_body(message: str, *, type: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_lone_surrogate(text: str) -> str:
    # JSON's \ud800 escapes decode to halves of UTF-16 pairs that no UTF-8 text can hold.
    if match := _SURROGATE.search(text):
        raise ValueError(f"contains a lone UTF-16 surrogate (\\u{ord(match.group()):04x}) at character "
                         f"{match.start()}; send valid Unicode text")
    return text


# Every string that reaches the tokenizer or is echoed back in a reply.
Text = Annotated[str, AfterValidator(_no_lone_surrogate)]


class Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ContentPart(Loose):
    type: str
    text: Optional[Text] = None


class ChatMessage(Loose):
    role: Literal["system", "developer", "user", "assistant"]
    content: Union[Text, list[ContentPart], None] = None
    name: Optional[Text] = None

    def as_message(self) -> dict[str, str]:
        """botsmith's message dict: developer counts as system, content parts are joined."""
        if isinstance(self.content, list):
            if any(part.type != "text" for part in self.content):
                raise APIError(400, "only text content parts are supported by this model", param="messages")
            text = "".join(part.text or "" for part in self.content)
        else:
            text = self.content or ""
        return {"role": "system" if self.role == "developer" else self.role, "content": text}


class StreamOptions(Loose):
    include_usage: bool = False


class SamplingRequest(Loose):
    model: Text
    max_tokens: Optional[int] = Field(None, ge=1)
    temperature: Optional[float] = Field(None, ge=0.0, le=2.0)
    top_p: Optional[float] = Field(None, gt=0.0, le=1.0)
    top_k: Optional[int] = Field(None, ge=0)
    min_p: Optional[float] = Field(None, ge=0.0, lt=1.0)
    epsilon_cutoff: Optional[float] = Field(None, ge=0.0, lt=1.0)
    repetition_penalty: Optional[float] = Field(None, ge=1.0, le=3.0)
    min_tokens: int = Field(0, ge=0)
    seed: Optional[int] = None
    stop: Union[Text, list[Text], None] = None
    n: int = Field(1, ge=1, le=8)
    stream: bool = False
    stream_options: Optional[StreamOptions] = None

    @field_validator("stop")
    @classmethod
    def _at_most_four(cls, value: Union[str, list[str], None]) -> Union[str, list[str], None]:
        if isinstance(value, list) and len(value) > 4:
            raise ValueError("at most 4 stop sequences")
        return value

    def stop_list(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else [stop for stop in self.stop if stop]

    def requested_tokens(self) -> Optional[int]:
        return self.max_tokens

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


class ChatCompletionRequest(SamplingRequest):
    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: Optional[int] = Field(None, ge=1)

    def requested_tokens(self) -> Optional[int]:
        return self.max_completion_tokens or self.max_tokens


class CompletionRequest(SamplingRequest):
    prompt: Union[Text, list[Text]]
    echo: bool = False

    def prompts(self) -> list[str]:
        return [self.prompt] if isinstance(self.prompt, str) else list(self.prompt)
