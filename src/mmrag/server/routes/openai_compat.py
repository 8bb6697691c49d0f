"""The OpenAI-compatible API under ``/v1``: models, chat completions, embeddings.

A model id is ``COLLECTION/GENERATOR`` (``GET /v1/models`` lists the ones the token may read:
each collection with its own answerer and with ``extractive``); a bare ``COLLECTION`` means
its own answerer. Errors come in OpenAI's shape, ``{"error": {"message", "type", "param",
"code"}}`` (``code`` is mmrag's error name), with the statuses of ``/api``.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from ...errors import ConfigError, NotFoundError
from ...generators import generators
from ...text.tokenize import tokenize
from ...text.valid import valid_text
from ...types import Content, Hit
from ..answers import answer_stream
from ..collections import Reader, request_reader
from ..openai_chat import ChatQuery, Chunks, completion, image_file, read_chat
from ..openai_schemas import ChatRequest, EmbeddingRequest
from ..security import Forbidden
from ..settings import Settings

ReaderDep = Annotated[Reader, Depends(request_reader)]
OWN = "extractive"  # every collection also answers with the model-free extractive answerer
MAX_INPUTS, MAX_INPUT_CHARS = 256, 8192


def model_ids(name: str, pipeline: Any) -> list[str]:
    own = pipeline.generator.name
    return [f"{name}/{own}"] + ([f"{name}/{OWN}"] if own != OWN else [])


def split_model(model: str, reader: Reader) -> tuple[str, str | None]:
    """``work/extractive`` -> ("work", "extractive"); the collection checked for the caller."""
    name, _, generator = model.partition("/")
    try:
        reader.pipeline(name)
    except Forbidden as exc:
        ids = [m for n in reader.names() for m in model_ids(n, reader.pipeline(n))]
        raise Forbidden(f"{exc}; models for this token: {ids}") from None
    return name, generator or None


def openai_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["openai"])
    answerers: dict[tuple[str, str], Any] = {}

    def answerer(reader: Reader, model: str) -> tuple[Any, str]:
        """The collection's pipeline answering with the model's generator."""
        name, generator = split_model(model, reader)
        pipeline = reader.pipeline(name)
        if generator is None or generator == pipeline.generator.name:
            return pipeline, f"{name}/{pipeline.generator.name}"
        if generator != OWN:
            raise NotFoundError(f"unknown model {model!r}; models of {name!r}: "
                                f"{model_ids(name, pipeline)}")
        if (name, generator) not in answerers:
            other = copy.copy(pipeline)  # the same index and stages, another answerer
            other.generator = generators.create(generator, embedder=pipeline.embedder)
            answerers[name, generator] = other
        return answerers[name, generator], f"{name}/{generator}"

    def retrieve(pipeline: Any, asked: ChatQuery, k: int) -> list[Hit]:
        if asked.image is None:
            return list(pipeline.search(asked.query, k))
        with image_file(asked.image, settings.max_upload_bytes) as path:
            return list(pipeline.search_image(path, k, text=asked.query or None))

    @router.get("/models")
    def list_models(reader: ReaderDep) -> dict[str, Any]:
        """Each collection this token may read, with each answerer it offers."""
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "mmrag"}
                for n in reader.names() for m in model_ids(n, reader.pipeline(n))]
        return {"object": "list", "data": data}

    @router.get("/models/{model:path}")
    def get_model(model: str, reader: ReaderDep) -> dict[str, Any]:
        _, found = answerer(reader, model)
        return {"id": found, "object": "model", "created": 0, "owned_by": "mmrag"}

    @router.post("/chat/completions", response_model=None)
    async def chat_completions(body: ChatRequest, reader: ReaderDep
                               ) -> Any:
        """The last user message answered from the collection, with numbered citations."""
        pipeline, model = answerer(reader, body.model)
        asked = read_chat(body.messages)
        hits = await run_in_threadpool(retrieve, pipeline, asked, body.k)
        question = asked.query or "(the image)"  # as `mmrag chat`: the standalone query
        if not body.stream:
            answer = await run_in_threadpool(pipeline.answer, question, hits)
            return completion(model, answer.to_dict(), asked.query)
        return StreamingResponse(
            chunk_events(pipeline, model, question, hits), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @router.post("/embeddings")
    def embeddings(body: EmbeddingRequest, reader: ReaderDep
                   ) -> dict[str, Any]:
        """Vectors from the collection's own embedder (``role``: query or passage)."""
        name, _ = split_model(body.model, reader)
        texts = [body.input] if isinstance(body.input, str) else body.input
        if not texts or len(texts) > MAX_INPUTS:
            raise ConfigError(f"input: expected 1 to {MAX_INPUTS} texts, got {len(texts)}")
        if not all(isinstance(t, str) for t in texts):
            raise ConfigError("input: token arrays are not supported; send text")
        for i, text in enumerate(texts):
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_INPUT_CHARS:
                raise ConfigError(f"input[{i}]: expected 1 to {MAX_INPUT_CHARS} characters")
            valid_text(text, f"input[{i}]")
        pipeline = reader.pipeline(name)
        role = "query" if body.role == "query" else "document"
        vectors = pipeline.embedder.embed([Content.of_text(str(t)) for t in texts], role=role)
        tokens = sum(len(tokenize(str(t))) for t in texts)
        return {"object": "list", "model": name, "data": [
            {"object": "embedding", "index": i, "embedding": encode(row, body.encoding_format)}
            for i, row in enumerate(np.asarray(vectors, dtype=np.float32))],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

    return router


def encode(row: np.ndarray, encoding: str) -> list[float] | str:
    if encoding == "base64":  # what the openai client asks for unless told otherwise
        return base64.b64encode(row.astype("<f4").tobytes()).decode()
    return [float(x) for x in row]


async def chunk_events(pipeline: Any, model: str, question: str, hits: list[Hit]
                       ) -> AsyncIterator[str]:
    """The answer's text as it is written, then a last chunk holding the citations and the
    final text (``mmrag.answer``: an LLM's preview may give way to its extractive fallback)."""
    chunks = Chunks(model)
    yield chunks.event({"role": "assistant", "content": ""})
    async for kind, data in answer_stream(pipeline, question, hits):
        if kind == "token":
            yield chunks.event({"content": data})
        elif kind == "done":
            yield chunks.event({}, "stop", citations=data["citations"],
                               mmrag={"answer": data["answer"], "generator": data["generator"],
                                      "notes": data["notes"]})
        else:
            error = {"message": data["detail"], "type": "server_error", "code": data["error"],
                     "status": data["status"]}
            yield f"data: {json.dumps({'error': error}, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


ERROR_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error"}


def openai_error(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """mmrag's ``{"error": NAME, "detail": ...}`` as OpenAI's ``{"error": {...}}``."""
    problems = body.get("problems") or [{}]
    kind = ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": body.get("detail", ""), "type": kind,
                      "param": problems[0].get("field"), "code": body.get("error")}}


class OpenAIErrors:
    """Every error under ``/v1`` in OpenAI's shape, the request guard's (413, 421) too, so
    an OpenAI client shows the reason; other paths pass untouched, streams unbuffered."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/v1" or path.startswith("/v1/")):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        held: list[bytes] = []

        async def rewriting_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if message["status"] < 400 or b"json" not in headers.get(b"content-type", b""):
                    await send(message)
                    return
                start.update(message)
                return
            if not start:
                await send(message)
                return
            held.append(message.get("body", b""))
            if message.get("more_body"):
                return
            try:
                body = json.loads(b"".join(held))
            except ValueError:
                body = {}
            if isinstance(body, dict) and isinstance(body.get("error"), str):
                body = openai_error(start["status"], body)
            elif isinstance(body, dict) and isinstance(body.get("detail"), str):
                body = openai_error(start["status"], {"error": "HTTPError", **body})
            data = json.dumps(body, ensure_ascii=False).encode()
            kept = [(k, v) for k, v in start.get("headers", [])
                    if k.lower() != b"content-length"]
            await send({**start, "headers": [*kept,
                                             (b"content-length", str(len(data)).encode())]})
            await send({"type": "http.response.body", "body": data})

        await self.app(scope, receive, rewriting_send)
