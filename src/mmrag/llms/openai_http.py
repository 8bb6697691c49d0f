"""Any OpenAI-compatible server over HTTP: chat or plain completions, streamed (SSE).

Standard library only (urllib): no SDK to install. Images go to vision models as base64
data URLs in the chat ``image_url`` content parts.
"""

from __future__ import annotations

import base64
import http.client
import json
import mimetypes
import os
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MmragError
from . import Message, llms


class LLMError(MmragError):
    """The LLM server failed, timed out or answered nonsense."""


class LogprobsUnavailable(LLMError):
    """The server answered, but without token log-probabilities (a server or an API mode
    that does not offer them)."""


class OpenAIHTTP:
    name = "openai"

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        mode: str = "chat",
        temperature: float = 0.0,
        timeout: float = 60.0,
        context: int = 4096,
    ):
        base_url = base_url or os.environ.get("MMRAG_LLM_URL") or os.environ.get("OPENAI_BASE_URL")
        if not base_url:
            raise ConfigError(
                "the openai LLM backend needs a server URL: pass --llm-url "
                "(e.g. http://127.0.0.1:8080/v1) or set MMRAG_LLM_URL"
            )
        if mode not in ("chat", "completion"):
            raise ConfigError(f"mode must be 'chat' or 'completion', got {mode!r}")
        self.base_url = base_url.rstrip("/")
        self.model = model or os.environ.get("MMRAG_LLM_MODEL") or "default"
        self.api_key = api_key or os.environ.get("MMRAG_LLM_API_KEY") or os.environ.get(
            "OPENAI_API_KEY"
        )
        self.mode = mode
        self.temperature = temperature
        self.timeout = timeout
        # the server's context window in tokens: what prompts are cut to fit
        self.context = context

    def _request(
        self, messages: Sequence[Message], max_tokens: int, stop: Sequence[str],
        **extra: Any,
    ) -> Any:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens,
            "temperature": self.temperature,
            "stream": True,
            **extra,
        }
        if stop:
            body["stop"] = list(stop)
        if self.mode == "completion":
            body["prompt"] = "".join(m.content for m in messages)
            path = "/completions"
        else:
            body["messages"] = [_chat_message(m) for m in messages]
            path = "/chat/completions"
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return urllib.request.Request(
            self.base_url + path, data=json.dumps(body).encode(), headers=headers
        )

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        timeout: float | None = None,
    ) -> Iterator[str]:
        request = self._request(messages, max_tokens, stop)
        try:
            response = urllib.request.urlopen(request, timeout=timeout or self.timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace")
            raise LLMError(f"LLM server {self.base_url} answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise LLMError(f"LLM server {self.base_url} unreachable: {exc}") from None
        finished = False
        with response:
            try:
                for raw in response:
                    line = raw.decode("utf-8", "replace").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        finished = True
                        break
                    event = json.loads(data)
                    if "error" in event:
                        raise LLMError(f"LLM server {self.base_url} failed: {event['error']}")
                    piece = _delta(event)
                    if piece:
                        yield piece
            except TimeoutError as exc:
                raise LLMError(f"LLM server {self.base_url} timed out: {exc}") from None
            except (OSError, http.client.HTTPException, ValueError) as exc:
                raise LLMError(
                    f"LLM server {self.base_url} broke off mid-answer: {exc!r}"
                ) from None
        if not finished:
            # a server that dies closes the stream without its final event
            raise LLMError(f"LLM server {self.base_url} closed the stream before the answer ended")


    def first_token_logprobs(
        self, messages: Sequence[Message], *, top: int = 10, timeout: float | None = None
    ) -> dict[str, float]:
        if self.mode != "chat":
            raise LogprobsUnavailable("token log-probabilities are read from the chat API only")
        request = self._request(messages, 1, (), stream=False, logprobs=True,
                                top_logprobs=top)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace")
            raise LLMError(f"LLM server {self.base_url} answered {exc.code}: {detail}") from None
        except TimeoutError as exc:
            raise LLMError(f"LLM server {self.base_url} timed out: {exc}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise LLMError(f"LLM server {self.base_url} unreachable: {exc}") from None
        try:
            choice = json.loads(raw)["choices"][0]
            tops = choice["logprobs"]["content"][0]["top_logprobs"]
            return {str(t["token"]): float(t["logprob"]) for t in tops}
        except (ValueError, KeyError, IndexError, TypeError):
            raise LogprobsUnavailable(
                f"LLM server {self.base_url} gave no token log-probabilities"
            ) from None


def _delta(event: dict[str, Any]) -> str:
    choices = event.get("choices") or [{}]
    choice = choices[0]
    if "text" in choice:
        return str(choice["text"] or "")
    return str((choice.get("delta") or {}).get("content") or "")


def _chat_message(message: Message) -> dict[str, Any]:
    if not message.images:
        return {"role": message.role, "content": message.content}
    parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}]
    for image in message.images:
        parts.append({"type": "image_url", "image_url": {"url": data_url(Path(image))}})
    return {"role": message.role, "content": parts}


def data_url(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "image/jpeg"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()


llms.register("openai")(OpenAIHTTP)
