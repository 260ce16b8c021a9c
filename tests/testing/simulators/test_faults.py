"""The lost-answer fault, driven as bare ASGI: only a request that bills a submission loses
its answer (the status goes out, the body is cut after one byte), only as many times as
asked; reads and unbilled requests pass untouched."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from starlette.types import Message, Receive, Scope, Send

from storyreel.testing.simulators.faults import AnswerLost, LoseAnswer


@dataclass
class Sim:
    name: str = "sim"
    lose_answers: int = 0
    answer_delay: float = 0.0
    answers_lost: int = 0
    submissions: dict[str, int] = field(default_factory=dict)


def app_for(sim: Sim) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            sim.submissions["m"] = sim.submissions.get("m", 0) + 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b'{"request_id": "r-1"}'})

    return app


def call(sim: Sim, method: str, sent: list[Message] | None = None) -> list[Message]:
    sent = [] if sent is None else sent

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    wrapper = LoseAnswer(cast(Any, sim), app_for(sim))
    asyncio.run(wrapper({"type": "http", "method": method}, receive, send))
    return sent


def test_a_billed_submit_loses_its_answer_as_many_times_as_asked() -> None:
    sim = Sim(lose_answers=1)
    with pytest.raises(AnswerLost, match="sim: answer to a billed submit dropped"):
        call(sim, "POST")
    assert sim.submissions == {"m": 1}  # taken and billed all the same
    assert (sim.lose_answers, sim.answers_lost) == (0, 1)
    answered = call(sim, "POST")  # the next one is answered whole
    assert answered[-1]["body"] == b'{"request_id": "r-1"}'


def test_the_cut_answer_has_its_status_and_one_byte() -> None:
    sent: list[Message] = []
    with pytest.raises(AnswerLost):
        call(Sim(lose_answers=1), "POST", sent)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1] == {"type": "http.response.body", "body": b"{", "more_body": True}


def test_reads_are_never_cut() -> None:
    sim = Sim(lose_answers=2)
    assert call(sim, "GET")[-1]["body"] == b'{"request_id": "r-1"}'
    assert (sim.lose_answers, sim.answers_lost) == (2, 0)
