"""The promotion case prints cleanly: saved to PDF by Chromium, it holds the whole case."""
from __future__ import annotations

import io
import re
import unicodedata

import pytest

from ladder.services.ladders import current_rubric

pytestmark = pytest.mark.e2e


def test_promotion_case_saved_as_pdf_has_name_target_and_every_competency(open_page, live_server, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    rubric = live_server.run(lambda: current_rubric().rubric)
    staff_competencies = [c.name for c in rubric.competencies if "staff" in c.expectations]
    priya = live_server.user_id("priya@example.com")

    page = open_page("manager@example.com")
    page.goto(f"/people/{priya}/case/staff")
    pdf = page.pdf(path=str(tmp_path / "case.pdf"), format="A4", print_background=True)

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # NFKC folds the ligatures a PDF may use ("ﬀ" in "Staﬀ") back into letters.
    # and a line broken after a hyphen ("non-" / "engineers") is joined again.
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in reader.pages)))
    text = re.sub(r"(\w)- (\w)", r"\1-\2", text)
    assert "Promotion case: Priya Patel" in text
    assert "Toward Staff Engineer" in text
    missing = [name for name in staff_competencies if name not in text]
    assert not missing, f"competencies missing from the PDF: {missing}"
    assert "Verdict history toward Staff Engineer" in text and "Led the ledger redesign" in text
    # Printed, not a screenshot of the screen: no navigation, and sections start on new pages.
    assert "Sign out" not in text and "use your browser's Print" not in text
    assert len(reader.pages) >= 3
