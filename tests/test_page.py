"""The page helpers every report is written with (views/page.py)."""

from __future__ import annotations

from ks2workbook.views import page


def test_a_card_of_one_says_school_not_schools():
    html = page.cards(
        [
            ("", "1", "schools below 65% now (2025)"),
            ("", "2", "schools below 65% now (2025)"),
            ("acc_stuck", "1", "stuck primary schools (below good at the last two inspections)"),
        ]
    )
    labels = [part.split("</div>")[0] for part in html.split('class="ks2-card-label">')[1:]]
    assert labels == [
        "school below 65% now (2025)",
        "schools below 65% now (2025)",
        "stuck primary school (below good at the last two inspections)",
    ]


def test_a_card_escapes_its_label_and_marks_its_fact():
    html = page.cards([("floor_below", "3", "<b>schools</b> & more")])
    assert 'data-fact="floor_below">3<' in html
    assert "&lt;b&gt;schools&lt;/b&gt; &amp; more" in html and "<b>" not in html
