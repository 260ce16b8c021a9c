"""Faults injected around a simulator's routes rather than inside them.

``lose_answer``: the provider takes a submission (it is recorded and billed, the job runs)
but the client never receives the answer: the response starts and the connection is then
cut before its body arrives, as when a process is killed or a proxy drops the connection
while a submit is in flight. The client sees a transport error and has no request id: the
state ``find_submitted`` exists to reconcile.

``answer_delay``: a billed submit's answer is held back for that many seconds (the job is
taken and runs meanwhile), which opens a wide window for killing the client while its
submit is in flight.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from .base import Simulator


class AnswerLost(Exception):
    """Raised inside the ASGI call so the server closes the half-sent response."""


class LoseAnswer:
    """ASGI wrapper: while ``sim.lose_answers`` is positive, the next request that bills a
    submission (the sim's submission count rises) has its answer cut off."""

    def __init__(self, sim: Simulator, app: ASGIApp) -> None:
        self.sim = sim
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.sim.lose_answers <= 0 and self.sim.answer_delay <= 0):
            await self.app(scope, receive, send)
            return
        before = sum(self.sim.submissions.values())
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        billed = sum(self.sim.submissions.values()) != before
        if billed and self.sim.answer_delay > 0:
            await asyncio.sleep(self.sim.answer_delay)
        if not billed or self.sim.lose_answers <= 0:
            for message in held:
                await send(message)
            return
        self.sim.lose_answers -= 1
        self.sim.answers_lost += 1
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        if start is not None:
            await send(start)
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
        raise AnswerLost(f"{self.sim.name}: answer to a billed submit dropped on purpose")
