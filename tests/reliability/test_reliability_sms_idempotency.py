"""Exactly once toward the outside world: the SMS gateway's idempotency key and the e-mail's stable Message-ID."""

import json
import multiprocessing
import random
from concurrent.futures import ProcessPoolExecutor

import pytest
from django.core import mail
from django.db import transaction

from notifications.models import Message
from notifications.services import email_message_id, idempotency_key, notify_applicant
from notifications.sms import SimulatedSmsGateway, get_sms_gateway, read_simulator_log
from tests.factories import file_case


def test_in_memory_gateway_answers_a_repeated_key_with_the_first_reference():
    gateway = SimulatedSmsGateway()
    first = gateway.send("+77011234567", "hello", "key-1")
    assert gateway.send("+77011234567", "hello", "key-1") == first
    assert gateway.send("+77011234567", "hello", "key-2") != first
    assert gateway.sent == [("+77011234567", "hello"), ("+77011234567", "hello")]


def _send_all(log_path: str, keys: list[str]) -> dict[str, str]:
    gateway = SimulatedSmsGateway(log_path)
    return {key: gateway.send("+77010000000", f"text {key}", key) for key in keys}


def test_logged_gateway_sends_each_key_once_across_processes(tmp_path):
    """Four processes send the same 40 keys in different orders: 40 SMS, the rest answered as duplicates."""
    log_path = str(tmp_path / "sms.jsonl")
    keys = [f"kezek:case-{i}:application_accepted::sms" for i in range(40)]
    orders = [random.Random(seed).sample(keys, len(keys)) for seed in range(4)]
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("fork")) as pool:
        answers = list(pool.map(_send_all, [log_path] * 4, orders))
    log = read_simulator_log(log_path)
    sent = [r for r in log if r["status"] == "sent"]
    assert sorted(r["key"] for r in sent) == sorted(keys)
    assert len(log) == 4 * len(keys)
    first_reference = {r["key"]: r["reference"] for r in sent}
    for answer in answers:
        assert answer == first_reference  # every process got the reference of the one real send


def test_a_torn_last_line_is_not_a_send_and_does_not_spoil_the_next(tmp_path):
    log_path = tmp_path / "sms.jsonl"
    log_path.write_text(json.dumps({"status": "sent", "key": "a", "reference": "SIM-a"}) + "\n" + '{"status": "se')
    gateway = SimulatedSmsGateway(log_path)
    assert gateway.send("+77010000000", "x", "a") == "SIM-a"
    reference = gateway.send("+77010000000", "x", "b")
    assert [(r["key"], r["status"]) for r in read_simulator_log(log_path)] == [
        ("a", "sent"), ("a", "duplicate"), ("b", "sent")]
    assert reference.startswith("SIM-")


@pytest.mark.django_db
def test_send_repeated_after_a_crash_before_commit_reaches_the_person_once(department, users, settings, tmp_path):
    """The crash window: the gateway took the SMS and the mail went out, then the transaction rolled back.

    The redelivery sends again with the same key: the gateway answers with the first reference (one SMS), the
    e-mail goes out a second time with the same Message-ID (a copy the receiving side can discard), and the
    Message rows exist once."""
    settings.KEZEK_SMS_SIMULATOR_LOG = str(tmp_path / "sms.jsonl")
    get_sms_gateway.cache_clear()
    case = file_case(department, users["operator"])
    receipt = case.issued_documents.first()
    mail.outbox.clear()
    context = {"receipt": receipt}

    class Crash(Exception):
        pass

    with pytest.raises(Crash):
        with transaction.atomic():
            notify_applicant(case, "application_accepted", context, reference="resend")
            raise Crash  # the worker dies before its transaction commits
    assert not Message.objects.filter(reference="resend").exists()
    notify_applicant(case, "application_accepted", context, reference="resend")
    notify_applicant(case, "application_accepted", context, reference="resend")  # a third try: nothing at all

    key = idempotency_key(case, "application_accepted", "sms", "resend")
    log = [r for r in read_simulator_log(tmp_path / "sms.jsonl") if r["key"] == key]
    assert [r["status"] for r in log] == ["sent", "duplicate"]
    sms = Message.objects.get(reference="resend", channel="sms")
    assert sms.gateway_reference == log[0]["reference"]
    assert Message.objects.filter(reference="resend").count() == 3
    expected_id = email_message_id(idempotency_key(case, "application_accepted", "email", "resend"))
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [expected_id, expected_id]
    assert mail.outbox[0].message()["Message-ID"] == expected_id
