"""docs/workflow.dot is what `manage.py graph_transitions applications.Application` prints now,
and docs/workflow.svg is rendered from it.

django-fsm collects nodes and edges in sets, so their order follows Python's string hashing:
`make docs` fixes PYTHONHASHSEED=0 for a stable file, and this test compares the statements
regardless of order. A transition added, removed or renamed, or a state relabelled, fails it.
"""

import re
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.utils import translation

DOT = Path(settings.BASE_DIR) / "docs" / "workflow.dot"
SVG = DOT.with_suffix(".svg")


def _statements(dot: str) -> tuple[list[str], list[str]]:
    lines = [line.strip() for line in dot.strip().splitlines()]
    frame = [line for line in lines if line.endswith("{") or line == "}" or line.startswith("graph [")]
    return frame, sorted(lines)


def test_committed_workflow_diagram_is_current():
    out = StringIO()
    with translation.override(settings.LANGUAGE_CODE):  # manage.py runs without an active language
        call_command("graph_transitions", "applications.Application", stdout=out)
    generated = out.getvalue()
    assert "applications.application.state.accepted" in generated
    committed = DOT.read_text(encoding="utf-8")
    assert _statements(generated) == _statements(committed), "docs/workflow.dot is stale: run `make docs` and commit both files"


def test_committed_svg_is_rendered_from_the_dot():
    """Graphviz titles every node and edge in the SVG with its dot name: the two must list the same graph."""
    dot = DOT.read_text(encoding="utf-8")
    nodes = set(re.findall(r'^\s*"([^"]+)" \[', dot, re.MULTILINE))
    edges = {f"{a}->{b}" for a, b in re.findall(r'^\s*"([^"]+)" -> "([^"]+)"', dot, re.MULTILINE)}
    titles = {el.text for el in ET.parse(SVG).getroot().iter("{http://www.w3.org/2000/svg}title")}
    drawn = {t for t in titles if t.startswith("applications.")}
    assert nodes and edges
    assert drawn == nodes | edges, "docs/workflow.svg is stale: run `make docs` and commit both files"
