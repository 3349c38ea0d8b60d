"""Help requests and matching: a resident's request, offers to fitting Digitallotsen in rounds,
the hand-over, and escalation to staff."""
