"""Fixtures for the web-layer tests: a small "world" of cases owned by different citizens, branches and executors.

Who may see what (accounts/access.py):
  portal_case          the demo citizen's own online case, Almaty, assigned to `executor`
  centre_case          a paper case entered at branch con-1 by `operator`, Almaty, assigned to `other_executor`
  other_branch_case    a paper case entered at branch con-2 by `other_operator`, Almaty, not yet assigned
  other_citizen_case   `other_citizen`'s online case with the other provider (Aktobe)
  refusal_own          refusal-to-accept receipt issued at con-1 to the demo citizen (no case)
  refusal_other        refusal-to-accept receipt issued at con-2 to somebody else (no case)
  complaint_own        the demo citizen's complaint (inaction) on portal_case
  complaint_other      `other_citizen`'s complaint (inaction) on other_citizen_case
Every case carries one uploaded scan (an Attachment) and its acceptance receipt.
"""

import pytest

from tests.web.web_support import World, adults, advance, attach_scan


@pytest.fixture
def world(department, users):
    from applications.models import Channel, DocumentType
    from applications.services.complaints import file_complaint
    from applications.services.intake import refuse_to_accept
    from tests.factories import file_case

    people = adults()
    citizen_record = people[0]
    other_citizen_record = next(p for p in people if p.iin == users["other_citizen"].iin)
    paper_people = [p for p in people[1:] if p.iin != other_citizen_record.iin]
    w = World(dept=department, users=users)

    w.cases["portal_case"] = file_case(department, users["citizen"], person=citizen_record, channel=Channel.PORTAL)
    w.cases["centre_case"] = file_case(department, users["operator"], person=paper_people[0])
    w.cases["other_branch_case"] = file_case(
        department, users["other_operator"], person=paper_people[1], service_centre=department.other_centre
    )
    w.cases["other_citizen_case"] = file_case(
        department, users["other_citizen"], person=other_citizen_record, channel=Channel.PORTAL,
        provider=department.other_provider,
    )
    w.cases["portal_case"] = advance(
        w.cases["portal_case"], ("register", {}), ("assign_executor", {"executor": users["executor"]}), users=users
    )
    w.cases["centre_case"] = advance(
        w.cases["centre_case"], ("register", {}), ("assign_executor", {"executor": users["other_executor"]}), users=users
    )
    for key, case in w.cases.items():
        w.attachments[key] = attach_scan(case, case.submitted_by)
        w.receipts[key] = case.issued_documents.get()

    identity = set(DocumentType.objects.filter(code="identity_document").values_list("code", flat=True))
    w.refusals["refusal_own"] = refuse_to_accept(
        operator=users["operator"], applicant=citizen_record, category=None, documents_received=identity, language="kk"
    )
    w.refusals["refusal_other"] = refuse_to_accept(
        operator=users["other_operator"], applicant=paper_people[2], category=None, documents_received=identity,
        language="kk",
    )

    w.complaints["complaint_own"] = file_complaint(
        w.cases["portal_case"], users["citizen"], subject="inaction", text="No answer yet."
    )
    w.complaints["complaint_other"] = file_complaint(
        w.cases["other_citizen_case"], users["other_citizen"], subject="inaction", text="No answer yet."
    )
    return w
