"""What of help requests falls due, for the scheduler: the next round of asking (or the
hand-over to staff), and the reminder before an agreed meeting."""

from __future__ import annotations

from bot.domain.models import HelpRequest
from bot.domain.work import Work
from bot.helping import offers
from bot.helping import requests as help_requests
from bot.helping.policy import MatchingPolicy
from bot.infra.scheduler import Chore, DueWork, Round


def rounds(policy: MatchingPolicy) -> list[Round]:
    """Requests whose next step is due, in batches; then the meeting reminders."""

    async def step(work: Work, request: HelpRequest) -> None:
        await offers.step(work.session, request, policy, work.now)

    async def meetings(work: Work) -> int:
        return await offers.meeting_reminders(work.session, work.now)

    return [
        DueWork(
            "help requests",
            help_requests.due_steps,
            step,
            next_due=help_requests.next_step,
            hurry=True,  # someone waits for help: the offers go ahead of a backlog
        ),
        Chore("meeting reminders", meetings, next_due=offers.next_meeting_reminder),
    ]
