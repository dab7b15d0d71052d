from django.utils import translation

from applications.grounds_text import GROUND_TITLES, MESSAGE_TEMPLATES, finding_text
from eligibility.grounds import GROUND_CODES
from eligibility.rules import MESSAGES


def test_message_templates_repeat_the_engine_messages_exactly():
    assert set(MESSAGE_TEMPLATES) == set(MESSAGES)
    with translation.override("en"):
        for key, text in MESSAGES.items():
            assert str(MESSAGE_TEMPLATES[key]) == text, key


def test_every_ground_has_a_title():
    assert set(GROUND_TITLES) == {str(code) for code in GROUND_CODES}


def test_finding_text_renders_facts_and_translates_the_person():
    finding = {"message_key": "no_consent", "facts": {}, "text": "x"}
    with translation.override("en"):
        assert finding_text(finding) == MESSAGES["no_consent"]
    with translation.override("kk"):
        assert finding_text(finding) != MESSAGES["no_consent"]  # translated
