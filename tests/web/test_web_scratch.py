import time
from tests.factories import file_case

def test_x(department, users, login):
    case = file_case(department, users["operator"])
    doc = case.issued_documents.get()
    c = login(users["operator"])
    t = time.time()
    r = c.get(f"/documents/{doc.number}.pdf")
    print(r.status_code, r["Content-Type"], r.content[:8], time.time() - t)
    t = time.time()
    r = c.get(f"/operator/cases/{case.number}/")
    print(r.status_code, time.time() - t)
