"""The one chart style (views/style.py): a chart is laid out once and drawn once when it is saved."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from ks2workbook.views import style  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def _draws_on_saving(fig) -> int:
    """How many times saving the figure as PNG draws it (a "draw disabled" layout pass counts too)."""
    count = 0
    real = Figure.draw

    def counting(self, renderer):
        nonlocal count
        count += 1
        return real(self, renderer)

    Figure.draw = counting
    try:
        fig.savefig(io.BytesIO(), format="png")
    finally:
        Figure.draw = real
    return count


def test_a_laid_out_chart_is_drawn_once_when_saved():
    """matplotlib's tight layout leaves a placeholder engine that makes saving draw the chart a second time to
    "lay it out"; lay_out removes it, and the labels stay where the tight layout put them."""
    fig, ax = style.new_axes("A title", "Year", "% of pupils")
    ax.plot([2019, 2022, 2023], [65, 59, 60])
    style.lay_out(fig)
    placed = fig.subplotpars.left, fig.subplotpars.bottom
    assert fig.get_layout_engine() is None
    assert _draws_on_saving(fig) == 1
    assert (fig.subplotpars.left, fig.subplotpars.bottom) == placed
    assert placed[0] > 0.05 and placed[1] > 0.05  # room made for the axis labels

    plain, ax = style.new_axes("A title", "Year", "% of pupils")
    ax.plot([2019, 2022, 2023], [65, 59, 60])
    plain.tight_layout()
    assert _draws_on_saving(plain) == 2  # what lay_out saves


def test_a_legend_below_the_panels_keeps_its_room():
    fig, axes = style.new_grid(1, 2)
    lines = [axes[0, i].plot([1, 2], [1, 2])[0] for i in range(2)]
    style.legend_below(fig, lines, ["one", "two"], ncol=2)
    style.lay_out(fig)
    renderer = fig.canvas.get_renderer()
    legend_top = fig.legends[0].get_window_extent(renderer).y1
    lowest_axes = min(ax.get_tightbbox(renderer).y0 for ax in axes.ravel())
    assert lowest_axes >= legend_top  # the tick labels sit above the legend
    assert _draws_on_saving(fig) == 1


def test_the_legend_room_is_made_as_tight_layout_makes_it_in_one_measuring():
    """lay_out measures a chart once and raises the panels for the legend: the same subplot parameters as
    matplotlib's tight layout given the legend's room as its rectangle (which measures every panel twice)."""
    import pytest

    def grid(rows: int, cols: int):
        fig, axes = style.new_grid(rows, cols, figsize=(12, 3.2 * rows))
        for i, ax in enumerate(axes.ravel()):
            ax.plot([2016, 2019, 2023], [10 * i, 50, 99], label=f"line {i}")
            ax.set_title(style.wrap(f"A long panel title, number {i}, over two lines here", 20), loc="left")
            ax.set_ylabel("% of pupils")
        style.legend_below(fig, *axes[0, 0].get_legend_handles_labels(), ncol=4)
        fig.suptitle("A grid", x=0.01, ha="left")
        return fig

    for rows, cols in ((2, 3), (1, 3), (3, 2)):
        ours, theirs = grid(rows, cols), grid(rows, cols)
        style.lay_out(ours)
        renderer = theirs.canvas.get_renderer()
        height = theirs.legends[0].get_window_extent(renderer).height
        theirs.tight_layout(rect=(0, (height + 6) / (theirs.get_figheight() * theirs.dpi), 1, 1))
        for name in ("left", "right", "bottom", "top", "wspace", "hspace"):
            assert getattr(ours.subplotpars, name) == pytest.approx(getattr(theirs.subplotpars, name), abs=1e-12)


def test_a_shared_grid_is_labelled_along_its_outside_and_keeps_its_alt_text():
    """label_outer: years under the lowest panel of each column (one above an unused panel keeps them), the scale
    down the left; the alt text still names both axes (read from the panels that carry the labels)."""
    fig, axes = style.new_grid(2, 3, sharex=True, sharey=True)
    for ax in axes.ravel()[:5]:
        ax.plot([2016, 2019, 2023], [60, 70, 65])
        ax.set_title("A subject", loc="left")
        ax.set_xlabel("Year")
        ax.set_ylabel("% of pupils")
    axes[1, 2].set_visible(False)
    style.label_outer(axes)
    style.lay_out(fig)
    fig.canvas.draw()

    def labelled(axis) -> bool:
        return any(label.get_visible() and label.get_text() for label in axis.get_ticklabels())

    assert [labelled(ax.xaxis) for ax in axes.ravel()[:5]] == [False, False, True, True, True]
    assert [[labelled(ax.yaxis) for ax in row] for row in axes[:, :2]] == [[True, False], [True, False]]
    assert [ax.get_xlabel() for ax in axes.ravel()[:5]] == ["", "", "Year", "Year", "Year"]
    assert [ax.get_ylabel() for ax in axes.ravel()[:5]] == ["% of pupils", "", "", "% of pupils", ""]
    assert style.alt_text(fig).endswith("Horizontal axis: Year; vertical axis: % of pupils.")


def test_the_spread_of_schools_says_each_missing_year_in_its_own_column():
    """Every school's dot, year by year (the trends page), from the Isles of Scilly's real rows: the years without
    tests are shaded and labelled as on every other chart, a year with tests but no school file held is said
    upright in its own column, and a council figure suppressed in every year has no entry in the key."""
    import pandas as pd
    from ks2workbook.data import tables
    from ks2workbook.views.trends import plot_school_spread

    results = tables.load("school_results")
    dots = results.loc[results["la_code"] == 420, ["year", "rwm_exp", "cohort"]].dropna(subset=["rwm_exp"])
    years = list(range(2016, 2026))
    assert set(dots["year"]) == {2016, 2017, 2018, 2023, 2024, 2025}
    suppressed = pd.Series(float("nan"), index=sorted(set(dots["year"])))
    fig = plot_school_spread(dots, years, "Isles of Scilly", suppressed, small=10)
    ax = fig.axes[0]
    texts = {t.get_text(): t for t in ax.texts}
    assert "No tests (COVID)" in texts and "no tests" not in texts
    upright = [t for t in ax.texts if t.get_text() == "no school results"]
    assert sorted(round(t.get_position()[0]) for t in upright) == [2019, 2022]
    assert all(t.get_rotation() == 90 for t in upright)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a school"]


def test_the_headline_chart_offers_no_line_it_does_not_draw():
    """The Isles of Scilly's headline chart (the trends page), from the pack's real figures: the DfE suppresses the
    council's figure in every year, so the key names the region, England and the neighbours only; Derby's names its
    own line first."""
    import matplotlib.pyplot as plt
    from ks2workbook.analyses import pack
    from ks2workbook.views.trends import plot_comparison

    keys = {}
    for code in (420, 831):
        frame = pack.facts(pack.define(la_code=code)).trends["comparison"]
        fig = plot_comparison(frame, "title", "% of pupils")
        keys[code] = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        plt.close(fig)
    assert frame.columns[0] == "Derby" and keys[831] == list(frame.columns)
    assert keys[420] == ["South West", "England", "Statistical neighbours (average)"]


def test_each_role_has_one_line_in_every_line_chart_with_england_underneath():
    """The headline chart (trends) and the small multiples (neighbours) draw each role's line as style says, from
    Cumberland's real figures: the region dash-dotted, the neighbours dashed (a second DfE list dotted), England
    solid and underneath every other line, so a line with England's figure never hides under it."""
    import matplotlib.pyplot as plt
    from ks2workbook.analyses import pack
    from ks2workbook.views import neighbours as nview
    from ks2workbook.views import style
    from ks2workbook.views.trends import plot_comparison

    facts = pack.facts(pack.define(la_code=942))
    frame = facts.trends["comparison"]
    roles = {"Cumberland": "la", "North West": "region", "England": "england"}
    fig = plot_comparison(frame, "title", "% of pupils")
    for line in fig.axes[0].get_lines():
        role = roles.get(line.get_label(), "neighbours")
        assert line.get_linestyle() == style.ROLE_LINESTYLE[role], line.get_label()
        assert line.get_zorder() == style.ROLE_LAYER[role], line.get_label()
    plt.close(fig)
    grid = nview.plot_comparisons(facts.neighbours["comparisons"], "Cumberland")
    drawn = [line for ax in grid.axes for line in ax.get_lines()]
    england = [line for line in drawn if line.get_label() == "England"]
    others = [line for line in drawn if line.get_label() != "England" and not line.get_label().startswith("_")]
    assert england and others
    assert max(line.get_zorder() for line in england) < min(line.get_zorder() for line in others)
    regions = [line for line in drawn if line.get_label() == "Region"]
    assert regions and all(line.get_linestyle() == style.ROLE_LINESTYLE["region"] for line in regions)
    plt.close(grid)
