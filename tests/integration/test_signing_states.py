"""Stateful property test of the week's life: random sequences of edit, submit, return, approve, reopen and
co-sign by several actors (apprentice, trainer, instructor, a colleague, the class teacher) against the
real services and database. After every step: approved content never changed, every signature
verifies against the content, the audit chain verifies, and the state is the one the design allows."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from leokop.audit import service as audit
from leokop.errors import Forbidden, StateConflict, ValidationFailed
from leokop.logbook import service as logbook
from leokop.logbook.tables import Week
from leokop.signing import content as signed_content
from leokop.signing import service as signing
from leokop.signing.tables import Signature
from tests.conftest import reset_database
from tests.helpers import APPRENTICE, INSTRUCTOR, TEACHER, TRAINER
from tests.integration.test_signing import as_user, contract_of, write_and_submit

WEEKS = (dt.date(2026, 6, 1), dt.date(2026, 6, 8))
REVIEWERS = ("trainer", "instructor", "colleague", "teacher")
# Where each action may lead (the design's state machine); anything else is a bug.
TRANSITIONS = {
    "submit": {("draft", "submitted"), ("returned", "submitted")},
    "approve": {("submitted", "approved")},
    "return": {("submitted", "returned")},
    "reopen": {("approved", "draft")},
}


def test_random_workflows_keep_every_invariant(client, run):
    class WeekLife(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            run(reset_database)
            self.actors = {
                "apprentice": as_user(run, APPRENTICE),
                "trainer": as_user(run, TRAINER),
                "instructor": as_user(run, INSTRUCTOR),
                "colleague": as_user(run, "aylin.demir@rmm.example"),
                "teacher": as_user(run, TEACHER),
            }
            self.contract = contract_of(run, APPRENTICE)
            for monday in WEEKS:
                write_and_submit(run, monday=monday)
            self.approved_hash: dict[dt.date, str] = {}

        def _state(self, monday: dt.date) -> str:
            return run(Week.select(Week.state).where(Week.contract == self.contract, Week.monday == monday).first)["state"]

        def _content_hash(self, monday: dt.date) -> str:
            week_id = run(Week.select(Week.id).where(Week.contract == self.contract, Week.monday == monday).first)["id"]
            return signed_content.digest(run(signing.load_contents, {week_id: (self.contract, monday)})[week_id])

        def _attempt(self, action: str, monday: dt.date, call, *args) -> None:
            before = self._state(monday)
            try:
                run(call, *args)
            except (StateConflict, Forbidden, ValidationFailed):
                assert self._state(monday) == before  # a refused action changes nothing
                return
            after = self._state(monday)
            assert after == before or (before, after) in TRANSITIONS.get(action, set()), (action, before, after)
            if after == "approved" and before != "approved":
                self.approved_hash[monday] = self._content_hash(monday)
            if after != "approved":
                self.approved_hash.pop(monday, None)

        @rule(monday=st.sampled_from(WEEKS), text=st.text(min_size=1, max_size=20).filter(str.strip))
        def edit(self, monday, text):
            self._attempt("edit", monday, logbook.add_entry, self.actors["apprentice"], self.contract, monday, monday, "school", text, "0:30")

        @rule(monday=st.sampled_from(WEEKS))
        def submit(self, monday):
            self._attempt("submit", monday, logbook.submit_week, self.actors["apprentice"], self.contract, monday)

        @rule(monday=st.sampled_from(WEEKS), who=st.sampled_from(REVIEWERS))
        def approve(self, monday, who):
            self._attempt("approve", monday, signing.approve, self.actors[who], self.contract, monday)

        @rule(monday=st.sampled_from(WEEKS), who=st.sampled_from(REVIEWERS))
        def return_week(self, monday, who):
            self._attempt("return", monday, signing.return_week, self.actors[who], self.contract, monday, "Bitte ergänzen")

        @rule(monday=st.sampled_from(WEEKS), who=st.sampled_from(REVIEWERS))
        def reopen(self, monday, who):
            self._attempt("reopen", monday, signing.reopen, self.actors[who], self.contract, monday, "Korrektur")

        @rule(monday=st.sampled_from(WEEKS))
        def cosign(self, monday):
            self._attempt("cosign", monday, signing.cosign, self.actors["teacher"], self.contract, monday)

        @invariant()
        def approved_content_never_changes(self):
            for monday, signed in self.approved_hash.items():
                assert self._state(monday) == "approved" and self._content_hash(monday) == signed

        @invariant()
        def one_live_approval_per_approved_week(self):
            for monday in WEEKS:
                live = run(Signature.count().where(
                    Signature.week.contract == self.contract, Signature.week.monday == monday,
                    Signature.kind == "approval", Signature.voided_at.is_null(),
                ))
                assert live == (1 if self._state(monday) == "approved" else 0)

        @invariant()
        def every_signature_and_the_chain_verify(self):
            _, problems = run(signing.verify_signatures, self.contract)
            assert problems == []
            _, chain_problems = run(audit.verify, self.contract)
            assert chain_problems == []

    run_state_machine_as_test(
        WeekLife,
        settings=settings(max_examples=30, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)),
    )
