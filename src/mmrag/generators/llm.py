"""Answers written by an LLM from the retrieved passages, with the extractive answerer as
the fallback when the model is missing, fails, times out or says nothing.

``llm`` trusts the model's wording and only repairs citations; ``hybrid`` keeps the model's
answer only when its content words are found in a cited passage, else answers extractively
(small models sometimes answer from their own weights instead of the context).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..embedders import Embedder
from ..errors import ConfigError, MmragError
from ..llms import LLM, TokenScorer, llms
from ..llms.openai_http import LogprobsUnavailable
from ..types import Answer, Hit
from . import generators
from .abstain import abstention
from .answerability import answerability
from .extractive import ExtractiveAnswerer
from .prompting import (
    STOP,
    chat_prompt,
    cited_numbers,
    completion_prompt,
    content_words,
    echoes,
    first_line,
    grounding,
    invented_numbers,
    prompt_overhead,
    recite,
    renumber,
    says_unknown,
    strip_citations,
    unanchored,
)
from .reading import check_reading, reading, within_budget


class ContextOverflow(MmragError):
    """The prompt cannot fit the model's context window."""


PICKS = ("one", "order", None)
# A floor for passages plainly off the question: on the original set, the hard set and RGB
# zh_refine, the best passage's log-odds ran from -0.74 to 0.78 with or without an answer
# (docs/benchmarks.md, issue 20, fifth pass), so no threshold there separates the two.
MIN_ODDS = -2.0


class LLMAnswerer:
    name = "llm"
    # hybrid keeps reading every passage: its check is against the best-supported sentence
    picks_passage = True

    def __init__(
        self,
        embedder: Embedder | None = None,
        llm: str = "llamacpp",
        top_hits: int = 5,
        max_tokens: int = 128,
        timeout: float = 60.0,
        context_tokens: int | None = 240,
        pick: str | None = None,
        min_odds: float = MIN_ODDS,
        passages: int | None = None,
        order: str = "rank",
        **llm_options: object,
    ):
        self.backend: LLM | None = None
        self.llm_name = llm
        self.llm_options = llm_options
        self.top_hits = top_hits
        self.max_tokens = max_tokens
        self.timeout = timeout
        # Every passage token is read before the first answer token (some 25-100 tokens/s
        # on one shared core), so the passages are cut to the sentences that best support
        # the question within this budget (None: only the context window bounds them).
        self.context_tokens = context_tokens
        # With a backend that gives log-probabilities (a chat model) and ``pick`` set, the
        # model first rates each passage's answerability; below ``min_odds`` (yes/no
        # log-odds) for every passage, the answer is an abstention. ``pick="one"`` then
        # answers from the best passage only, ``"order"`` from every passage, best-rated
        # first (next to the question). None (the default) reads every passage in rank order
        # without rating them: measured on three sets together, "one" gains the hard set
        # (11/15 against 6/15) and loses the original set and RGB (docs/benchmarks.md,
        # issue 20, fifth pass).
        if pick not in PICKS:
            raise ConfigError(f"pick must be one of {sorted(PICKS, key=str)}, got {pick!r}")
        self.pick = pick
        self.min_odds = min_odds
        # What the model reads of the ``top_hits`` (``reading.py``): ``order="dense"`` sorts
        # them by the embedder's query-passage similarity, ``passages`` keeps the first few;
        # the extractive fallback still reads every hit.
        check_reading(order, passages)
        self.order = order
        self.passages = passages
        self.embedder = embedder
        self.fallback = ExtractiveAnswerer(embedder)

    def _llm(self) -> LLM:
        if self.backend is None:
            self.backend = llms.create(self.llm_name, **self.llm_options)
        return self.backend

    def budget(self, question: str) -> int:
        """Tokens left for the passages once the prompt's fixed part and the reply are
        counted against the model's context window."""
        context = int(getattr(self._llm(), "context", 4096))
        return context - self.max_tokens - prompt_overhead(question)

    def fitting_budget(self, question: str) -> int:
        budget = self.budget(question)
        if budget < 32:
            context = int(getattr(self._llm(), "context", 4096))
            raise ContextOverflow(
                f"context overflow: the LLM's {context}-token context cannot hold the "
                f"question, the instructions and a {self.max_tokens}-token reply"
            )
        return budget

    def messages(self, question: str, hits: Sequence[Hit]) -> list:
        mode = getattr(self._llm(), "mode", "chat")
        budget = self.fitting_budget(question)
        if mode == "completion":
            return completion_prompt(question, hits, budget)
        return chat_prompt(question, hits, budget=budget)

    def generate(self, question: str, hits: Sequence[Hit]) -> Answer:
        return self.stream(question, hits, None)

    def stream(
        self, question: str, hits: Sequence[Hit], on_token: Callable[[str], None] | None
    ) -> Answer:
        """Like :meth:`generate`, handing ``on_token`` the model's first line as it is
        written. Those pieces are a preview: the returned answer (citations repaired, or the
        extractive fallback) is the one to show."""
        top = list(hits[: self.top_hits])
        if not top:
            return self.fallback.generate(question, top)
        read = reading(question, top, self.order, self.passages, self.embedder)
        pool = within_budget(question, top, self.context_tokens)
        hits = pool if read == top else within_budget(question, read, self.context_tokens)
        try:
            self.fitting_budget(question)
            best = self.best_passage(question, hits)
        except ContextOverflow as exc:
            return self._fall_back(question, hits, str(exc))
        except MmragError as exc:
            return self._fall_back(question, hits, f"LLM unavailable ({exc})")
        if best is None:
            return self._answer(question, hits, pool, on_token)
        index, odds = best
        rated = ", ".join(f"[{n}] {o:.2f}" for n, o in enumerate(odds, 1))
        if odds[index] < self.min_odds:
            refusal = abstention(question, self.name)
            refusal.notes[0] = (f"the LLM found no passage that answers the question (best "
                                f"yes/no log-odds {odds[index]:.2f} < {self.min_odds:g})")
            refusal.notes.append(f"passages rated: {rated}")
            return refusal
        if self.pick == "one":
            answer = self._answer(question, [hits[index]], pool, on_token)
            answer.notes.append(f"answered from passage [{index + 1}]; passages rated: {rated}")
            return answer
        order = sorted(range(len(hits)), key=lambda i: -odds[i])
        answer = self._answer(question, [hits[i] for i in order], pool, on_token)
        answer.notes.append(f"passages rated: {rated}; given best first")
        return answer

    def _answer(
        self, question: str, hits: list[Hit], pool: list[Hit],
        on_token: Callable[[str], None] | None,
    ) -> Answer:
        """The model's answer from ``hits``; ``pool``, every passage, for the fallback."""
        try:
            pieces = self._llm().stream(
                self.messages(question, hits), max_tokens=self.max_tokens,
                stop=STOP, timeout=self.timeout,
            )
            text = first_line("".join(_first_line_pieces(pieces, on_token)))
        except ContextOverflow as exc:
            return self._fall_back(question, pool, str(exc))
        except MmragError as exc:
            return self._fall_back(question, pool, f"LLM unavailable ({exc})")
        if not text:
            return self._fall_back(question, pool, "the LLM returned nothing")
        if says_unknown(text):
            answer = abstention(question, self.name)
            answer.notes[0] = f"the LLM found no answer in the passages ({text!r})"
            return answer
        invented = invented_numbers(text, question, hits)
        if invented:
            answer = abstention(question, self.name)
            answer.notes[0] = (f"the LLM found no answer in the passages: its {text!r} has "
                               f"{', '.join(invented)}, which no passage holds")
            return answer
        if echoes(text, question):
            return self._fall_back(question, pool, "the LLM only repeated the question")
        answer = self.cite(question, text, hits)
        unmatched = unanchored(question, answer.citations)
        if answer.citations and unmatched:
            refusal = abstention(question, self.name)
            refusal.notes[0] = (f"the LLM found no answer in the passages: its {text!r} cites "
                                f"a passage without the question's {', '.join(unmatched)}")
            return refusal
        return answer

    def best_passage(self, question: str, hits: list[Hit]) -> tuple[int, list[float]] | None:
        """The passage the model rates likeliest to answer, and every passage's yes/no
        log-odds; None when the model is not asked (``pick`` off, hybrid) or its server
        gives no log-probabilities (the one-prompt answer over every passage then)."""
        backend = self._llm()
        if not (self.pick and self.picks_passage and isinstance(backend, TokenScorer)):
            return None
        try:
            odds = answerability(backend, question, hits, self.timeout)
        except LogprobsUnavailable:
            return None
        return max(range(len(hits)), key=lambda i: odds[i]), odds

    def cite(self, question: str, text: str, hits: list[Hit]) -> Answer:
        _, best = grounding(text, hits)
        text = recite(text, hits)
        order = cited_numbers(text, len(hits))
        if not order:
            # The model cited nothing: attribute the answer to the passage that holds
            # most of its words, so every answer still carries a citation.
            order = [best + 1]
            text = f"{text} [{best + 1}]"
        return Answer(renumber(text, order), [hits[n - 1] for n in order], self.name)

    def _fall_back(self, question: str, hits: list[Hit], why: str) -> Answer:
        answer = self.fallback.generate(question, hits)
        answer.notes.insert(0, f"answered extractively: {why}")
        answer.generator = f"{self.name}->extractive"
        return answer


def _first_line_pieces(
    pieces: Iterable[str], on_token: Callable[[str], None] | None
) -> Iterable[str]:
    """Pass the pieces through, handing ``on_token`` the part of them that is the first
    non-empty line (the answer); what the model writes after it is not shown."""
    text, sent = "", 0
    for piece in pieces:
        yield piece
        if on_token is None:
            continue
        text += piece
        line = text.lstrip()
        cut = line.find("\n")
        visible = line if cut < 0 else line[:cut]
        if len(visible) > sent:
            on_token(visible[sent:])
            sent = len(visible)
        if cut >= 0:
            on_token = None


class HybridAnswerer(LLMAnswerer):
    """The LLM's wording, only when it is a piece of the best-supported sentence.

    The extractive answerer picks the sentence(s) that best support the question; the LLM's
    short answer is kept, followed by that extract, when its content words are all in it
    ("300 grams — the cake needs 300 grams of flour and six plums"), else the extract is the
    answer. A small model that drifts to another passage, or to its own weights, cannot
    then change which passage answers (measured: 9/15 for llm alone, see benchmarks).
    """

    name = "hybrid"
    picks_passage = False

    def cite(self, question: str, text: str, hits: list[Hit]) -> Answer:
        extract = self.fallback.generate(question, hits)
        words = content_words(text)
        if not words or not extract.citations or not words <= content_words(extract.answer):
            extract.notes.insert(
                0, f"answered extractively: the LLM's {text!r} is not in the best-supported "
                "sentence",
            )
            extract.generator = f"{self.name}->extractive"
            return extract
        first = extract.citations[0]
        phrase = strip_citations(text)
        if words < content_words(extract.answer):
            # The model's phrase is a part of the sentence and may be too short a part ("7 AM"
            # of "open daily 7 AM to 9 PM"): the sentence follows it, so the reader sees both.
            phrase = f"{phrase} — {strip_citations(extract.answer)}"
        return Answer(f"{phrase} [1]", [first], self.name)


generators.register("llm")(LLMAnswerer)
generators.register("hybrid")(HybridAnswerer)
