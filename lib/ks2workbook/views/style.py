"""The one chart style and number formats of the workbook.

Why one place: every notebook and the cabinet pack must look alike and be readable by a councillor; the
palette is Okabe-Ito (safe for the common forms of colour blindness), never red-against-green alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt

from ..core.formats import fmt_gbp_k, fmt_int, fmt_pct, fmt_points, missing  # noqa: F401 - views format through style
from ..core.world import NO_TEST_YEARS

#: Okabe-Ito colour-blind-safe palette.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}

#: Fixed roles so that "this LA" is the same colour in every chart of every report.
ROLE_COLOURS: dict[str, str] = {
    "la": OKABE_ITO["blue"],
    "england": OKABE_ITO["black"],
    "region": OKABE_ITO["orange"],
    "neighbours": OKABE_ITO["bluish_green"],
    "highlight": OKABE_ITO["vermillion"],
    "context": OKABE_ITO["grey"],
    "good": OKABE_ITO["bluish_green"],
    "bad": OKABE_ITO["vermillion"],
    "neutral": OKABE_ITO["sky_blue"],
}

#: Each role's line in the line charts, the same in every chart: the council and England solid, the region
#: dash-dotted, the neighbours dashed; and which lies on which (matplotlib's zorder, lines at 2 by default): England
#: underneath, so that where the region or the neighbours have England's figure their dashes lie on its line and
#: both show (drawn over them, England hid Cumberland's North West line), the council on top.
ROLE_LINESTYLE: dict[str, str] = {"la": "-", "england": "-", "region": "-.", "neighbours": "--"}
ROLE_LAYER: dict[str, float] = {"england": 2.0, "region": 2.1, "neighbours": 2.2, "la": 2.3}

SERIES_CYCLE: list[str] = [
    OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue")
]


def apply_style() -> None:
    """Set matplotlib defaults once per notebook: large fonts, light grid, the palette, no top/right spines."""
    mpl.rcParams.update(
        {
            "figure.figsize": (9, 4.8),
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "font.size": 11,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            # A title sits just above its axes, at a fixed place: left to itself, matplotlib would measure every
            # panel's tick labels again, at each layout and each drawing, only to find that nothing of ours sits
            # above an axes (no ticks on top, no offset text) to move the title over.
            "axes.titley": 1.0,
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.prop_cycle": mpl.cycler(color=SERIES_CYCLE),
            "legend.frameon": False,
            # No automatic layout engine from a user's matplotlibrc: lay_out lays each chart out once, with the
            # legend's room, and an engine would lay it out again on saving (without that room) and draw it twice.
            "figure.autolayout": False,
            "figure.constrained_layout.use": False,
        }
    )
    _register_alt_text()


def alt_text(fig) -> str:
    """A description of a chart for screen readers: its title and axis labels (every chart here has them)."""
    titles = [fig._suptitle.get_text()] if getattr(fig, "_suptitle", None) is not None else []
    axes = [ax for ax in fig.axes if ax.get_visible()]
    titles += [ax.get_title(loc="left") or ax.get_title() for ax in axes]
    titles = [" ".join(t.split()) for t in dict.fromkeys(titles) if t]  # a wrapped title read as one line
    text = "Chart: " + "; ".join(titles) if titles else "Chart"
    if axes:
        # The first panel that carries each label: on a grid labelled along its outside only (label_outer), the
        # years are under the bottom row.
        x = next((ax.get_xlabel() for ax in axes if ax.get_xlabel()), "")
        y = next((ax.get_ylabel() for ax in axes if ax.get_ylabel()), "")
        if x or y:
            text += f". Horizontal axis: {x or 'none'}; vertical axis: {y or 'none'}."
    return text


def _alt_metadata(fig, include=None, exclude=None):
    """Mime-bundle formatter: no data of its own (the inline backend still draws the PNG), only the alt text."""
    return {}, {"image/png": {"alt": alt_text(fig)}}


def _register_alt_text() -> None:
    """In a Jupyter kernel, render figures as PNG carrying alt text in the output metadata (the report template
    writes it into the ``<img alt>`` attribute)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure

    shell.display_formatter.mimebundle_formatter.for_type(Figure, _alt_metadata)
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    # Drawn once, as laid out by lay_out; zlib level 3 rather than Pillow's 6: the same pixels, encoded in half the
    # time, the files 4% larger (measured on a trends page).
    set_matplotlib_formats("png", bbox_inches=None, pil_kwargs={"compress_level": PNG_COMPRESSION})


#: How hard each chart's PNG is compressed (zlib level; lossless at every level).
PNG_COMPRESSION = 3


def new_axes(title: str, xlabel: str, ylabel: str, figsize: tuple[float, float] | None = None):
    """A titled, labelled figure: every chart in the workbook starts here so none goes out unlabelled. A long
    title is wrapped to the figure's width (a chart is saved at its own size, so a longer one would be cut)."""
    fig, ax = new_grid(1, 1, figsize=figsize)
    ax = ax[0, 0]
    ax.set_title(wrap(title, int(fig.get_figwidth() * TITLE_CHARS_PER_INCH)), loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig, ax


#: Characters of a bold 13-point title that fit in an inch of figure, with the left margin allowed for.
TITLE_CHARS_PER_INCH = 7


def new_grid(nrows: int, ncols: int, *, figsize: tuple[float, float] | None = None, **kwargs):
    """A figure of ``nrows`` by ``ncols`` axes (a 2-D array), laid out once when it is shown (:func:`lay_out`)."""
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **kwargs)
    return fig, axes


def label_outer(axes) -> None:
    """Tick and axis labels of a grid whose panels share their axes only where a reader looks for them: along
    the bottom of each column (the lowest panel shown in it: one above an unused, hidden panel keeps its years)
    and down the left of each row. The inner panels' labels only repeated them, and each was measured at every
    layout and drawn (a fifth of a grid's drawing, measured)."""
    rows, cols = axes.shape
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            if not ax.get_visible():
                continue
            below = r + 1 < rows and axes[r + 1, c].get_visible()
            shares_x = below and axes[r + 1, c] in ax.get_shared_x_axes().get_siblings(ax)
            ax.xaxis.set_tick_params(which="both", labelbottom=not shares_x)
            if shares_x:
                ax.set_xlabel("")
            left = c > 0 and axes[r, c - 1].get_visible()
            shares_y = left and axes[r, c - 1] in ax.get_shared_y_axes().get_siblings(ax)
            ax.yaxis.set_tick_params(which="both", labelleft=not shares_y)
            if shares_y:
                ax.set_ylabel("")


def lay_out(fig) -> None:
    """Lay a finished chart out, once: matplotlib's tight layout keeps titles, labels and ticks from running into
    each other, above a legend under the panels (:func:`legend_below`, measured), and the image is then saved as
    laid out. A layout engine or a "tight box" on saving would each draw the chart a second time (a fifth of a
    report's time went on those second drawings).

    Two quieter costs are avoided too: given the legend's room as a layout rectangle, matplotlib would measure the
    whole chart twice over (the same measures: nothing moves between them), so the chart is measured once and the
    panels are then raised by the room (:func:`_raise_panels`, matplotlib's own arithmetic for a rectangle); and
    ``tight_layout`` leaves a placeholder layout engine on the figure, which makes saving draw the chart once more
    "to lay it out", so the engine is removed."""
    room = 0.0
    if fig.legends:
        renderer = fig.canvas.get_renderer()
        height = max(legend.get_window_extent(renderer).height for legend in fig.legends)
        room = min(0.4, (height + 6) / (fig.get_figheight() * fig.dpi))
    fig.tight_layout()
    fig.set_layout_engine(None)  # laid out: saving draws the chart once, as it is
    if room:
        _raise_panels(fig, room)


def _raise_panels(fig, room: float) -> None:
    """Raise a laid-out grid's panels by ``room`` (a share of the figure's height) for a legend under them, the
    gaps between rows kept as they were measured: what ``tight_layout(rect=(0, room, 1, 1))`` gives, without its
    second measuring of every panel."""
    params = fig.subplotpars
    bottom = params.bottom + room
    specs = [ax.get_subplotspec() for ax in fig.axes]
    rows = max((spec.get_gridspec().nrows for spec in specs if spec is not None), default=1)
    if rows == 1:
        fig.subplots_adjust(bottom=bottom)
        return
    # hspace is a share of a panel's height: from it the gap between rows as a share of the figure, which stays.
    gap = params.hspace * (params.top - params.bottom) / (rows + params.hspace * (rows - 1))
    fig.subplots_adjust(bottom=bottom, hspace=gap * rows / (params.top - bottom - gap * (rows - 1)))


def key(ax, **kwargs) -> None:
    """The chart's key, of what it draws: a line with no value at all (a council figure the DfE suppresses in
    every year) has no entry, so a reader is never offered a line the chart does not show."""
    import numpy as np
    from matplotlib.lines import Line2D

    pairs = [
        (handle, label)
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True)
        if not isinstance(handle, Line2D) or np.isfinite(np.asarray(handle.get_ydata(), dtype=float)).any()
    ]
    ax.legend([h for h, _ in pairs], [label for _, label in pairs], **kwargs)


def legend_below(fig, handles: Sequence, labels: Sequence[str], ncol: int) -> None:
    """One legend for all panels, centred under them (:func:`lay_out` keeps the room it needs)."""
    fig.legend(handles, labels, loc="lower center", ncol=ncol, bbox_to_anchor=(0.5, 0.0))


def wrap(text: str, width: int = 40) -> str:
    """A long label over several lines (chart titles and tick labels never run into each other)."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def year_axis(ax, years: Sequence[int]) -> None:
    """Integer year ticks (no 2017.5), one per year shown."""
    ax.set_xticks(list(years))
    ax.set_xticklabels([str(y) for y in years], rotation=0)


def shade_gap_years(ax, gap_years: Sequence[int] = NO_TEST_YEARS, label: str = "No tests (COVID)") -> None:
    """Grey band over years with no data, so a reader sees a gap, not a missing point or a false line."""
    if not gap_years:
        return
    ax.axvspan(min(gap_years) - 0.5, max(gap_years) + 0.5, color=OKABE_ITO["grey"], alpha=0.15, lw=0)
    ymin, ymax = ax.get_ylim()
    ax.text(
        (min(gap_years) + max(gap_years)) / 2,
        ymin + (ymax - ymin) * 0.04,
        label,
        ha="center",
        va="bottom",
        fontsize=9,
        color="#555555",
    )


def big_numbers(items: Sequence[tuple[str, str]]) -> str:
    """Headline figures as large numbers with a plain label under each (HTML, wraps on a phone).

    ``items`` are (number already formatted, label) pairs, e.g. ``("57%", "of pupils met the standard")``.
    """
    import html

    cards = "".join(
        '<div style="flex:1 1 10rem;border-left:6px solid {c};padding:.4rem .8rem;margin:.3rem">'
        '<div style="font-size:2.1rem;font-weight:700;line-height:1.1">{n}</div>'
        '<div style="font-size:.95rem;color:#333">{t}</div></div>'.format(
            c=ROLE_COLOURS["la"], n=html.escape(number), t=html.escape(label)
        )
        for number, label in items
    )
    return f'<div style="display:flex;flex-wrap:wrap;margin:.5rem 0 1rem">{cards}</div>'
