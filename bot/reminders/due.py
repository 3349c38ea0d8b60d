"""What of reminders and follow-up falls due, for the scheduler: the rows in ``jobs``
(reminders before a date; after it the feedback question, the thanks, the one nudge)."""

from __future__ import annotations

from bot.dates import jobs
from bot.dates.jobs import ReminderPolicy
from bot.domain.models import Job
from bot.domain.work import Work
from bot.infra.scheduler import Chore, DueWork, Round
from bot.reminders import calls
from bot.reminders.follow_up import run_job


def rounds(policy: ReminderPolicy) -> list[Round]:
    """One job per transaction: a reminder may fan out to many people."""

    async def run(work: Work, job: Job) -> None:
        await run_job(work.session, job, policy, work.now)

    return [
        DueWork("reminders", jobs.due, run, next_due=jobs.next_due, batch=1),
        # The day before a date, the team's list of reminder calls to make.
        Chore("reminder calls", calls.send_lists),
    ]
