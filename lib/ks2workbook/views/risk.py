"""The early-warning section: which schools may be below the bar next year, how sure the model is, what drives
each school's chance (what raises it and what lowers it), and how well the model has done on past years.
Figures from :mod:`ks2workbook.analyses.risk` through the pack's facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..analyses.pack import PackFacts
from ..core.formats import count, fmt_int, fmt_pct, fmt_points_moved, fmt_signed
from ..rules import pack as pack_rules
from . import page, style

WHAT = (
    "Which of the council's schools may be below the bar next year, with each school's chance and what raises or "
    "lowers it; how sure the model is, tested on past years; how every school is placed in one of five support "
    "strands; and the schools in an Ofsted category or stuck, with the latest report cards."
)
GLOSSARY = (
    "The bar",
    "At risk",
    "Expected standard",
    "Progress score",
    "Cohort",
    "Small numbers",
    "Free school meals (FSM)",
    "English as an additional language (EAL)",
)


def assumption(facts: PackFacts) -> str:
    """What the chances assume about England, in one sentence a councillor reads."""
    d, r = facts.definition, facts.risk
    if d.national_change is not None:
        return (
            f"The chances assume England's results move by {fmt_points_moved(d.national_change)} next year, as set for "
            "this pack."
        )
    known = r["known_changes"]
    moves = ", ".join(fmt_signed(v) for v in known)
    return (
        "Nobody knows how England's results will move next year, so each chance is averaged over the moves England "
        f"has made from one year to the next since the current tests began ({moves} points)."
    )


def cards(facts: PackFacts) -> list:
    r, d = facts.risk, facts.definition
    e = r["expected"]
    return [
        page.cards(
            [
                ("risk_below_now", fmt_int(r["below_now"]), f"schools below {d.threshold:g}% now ({facts.year})"),
                (
                    "risk_at_risk",
                    fmt_int(len(r["at_risk"])),
                    f"at risk: at least a {d.at_risk_chance:.0%} chance of being below {d.threshold:g}% next year",
                ),
                ("risk_above_at_risk", fmt_int(len(r["above_at_risk"])), "of them above the bar now"),
                (
                    "risk_expected",
                    f"{e['expected']:.0f}",
                    f"expected below next year (8 times in 10 between {e['low']:.0f} and {e['high']:.0f})",
                ),
            ]
        )
    ]


@page.section(
    "How many schools may be below the bar next year",
    part="risk",
    intro="The chance, for each school, of being below the bar next year, from a model tested on past years.",
    say_missing=True,
)
def section_summary(facts: PackFacts) -> list:
    r = facts.risk
    if not r.ok:
        return [page.missing_part("Early warning", r.reason)]
    d = facts.definition
    e = r["expected"]
    out = [
        *cards(facts),
        page.say(assumption(facts)),
        page.takeaway(
            page.esc(
                f"of {count(r['schools'], 'school')} with a result in {facts.year}, about {e['expected']:.0f} are "
                f"expected "
                f"below {d.threshold:g}% next year, and 8 times in 10 the count would fall between {e['low']:.0f} and "
                f"{e['high']:.0f}."
            )
        ),
    ]
    return out


def table_scenarios(facts: PackFacts) -> list:
    r = facts.risk
    if not r.ok:
        return []
    s = r["scenarios"]
    shown = pd.DataFrame(
        {
            "If England's results move by": [
                fmt_points_moved(c) + (" (its recent trend)" if t else "")
                for c, t in zip(s["national_change"], s["is_trend"], strict=True)
            ],
            f"Schools in {facts.area.name} expected below the bar": s["expected_below_next_year"].map(
                lambda v: f"{v:.0f}"
            ),
            "Schools in England expected below the bar": s["england_expected_share"].map(lambda v: fmt_pct(v)),
        }
    )
    return [
        page.table(
            shown,
            "What each movement of England's results would give",
            empty="No scenarios.",
            numeric=list(shown.columns[1:]),
        ),
        page.takeaway(page.esc(scenario_words(s))),
    ]


def scenario_words(s: pd.DataFrame) -> str:
    """What the scenario table says, from its own figures."""
    low, high = s["expected_below_next_year"].iloc[0], s["expected_below_next_year"].iloc[-1]
    span = s["national_change"].iloc[-1] - s["national_change"].iloc[0]
    if abs(low - high) < 0.5:
        return "the council's count hardly moves with England: its schools are far from the bar either way."
    per_point = (low - high) / span
    return (
        f"the count moves by about {per_point:.1f} schools for each point England moves; the schools most at "
        "risk stay much the same."
    )


def _reason(group: str, row: Mapping[str, Any], threshold: float) -> str:
    """One reason in a few words, with the school's own figure."""
    if group == "position":
        size = "" if row["cohort_basis"] == "unknown" else f", {row['cohort']:.0f} pupils"
        return f"{row['rwm_exp']:.0f}% against a bar of {threshold:g}%{size}"
    if group == "prev_move":
        if pd.isna(row["rwm_prev"]):
            return "no result the year before"
        rose = row["rwm_exp"] > row["rwm_prev"]
        # Said with why it counts: results that jumped tend to fall back next year, and falls tend to recover,
        # so "rose" raises a chance and "fell" lowers it, which a reader would not guess.
        if rose and row["drive_prev_move"] > 0:
            return f"rose from {row['rwm_prev']:.0f}% the year before (a jump often falls back)"
        if not rose and row["drive_prev_move"] < 0:
            return f"fell from {row['rwm_prev']:.0f}% the year before (a fall often recovers)"
        return f"{'rose' if rose else 'fell'} from {row['rwm_prev']:.0f}% the year before"
    if group == "progress":
        return "no progress score" if pd.isna(row["progress"]) else f"progress {fmt_signed(row['progress'], 1)}"
    if group == "pct_fsm":
        return f"{fmt_pct(row['pct_fsm'])} on free school meals"
    return f"{fmt_pct(row['pct_eal'])} with English as an additional language"


#: A reason is named when it moves the odds by at least this much (log-odds; 0.15 is about 4 points at 50%).
NAMED_REASON = 0.15


def reasons(row: Mapping[str, Any], threshold: float) -> tuple[str, str]:
    """What raises and what lowers this school's chance, the two strongest of each, with its own figures."""
    contrib = {g: row[f"drive_{g}"] for g in ("position", "prev_move", "progress", "pct_fsm", "pct_eal")}
    up = [g for g, v in sorted(contrib.items(), key=lambda kv: -kv[1]) if v > NAMED_REASON][:2]
    down = [g for g, v in sorted(contrib.items(), key=lambda kv: kv[1]) if v < -NAMED_REASON][:2]
    return (
        "; ".join(_reason(g, row, threshold) for g in up) or "nothing stands out",
        "; ".join(_reason(g, row, threshold) for g in down) or "nothing stands out",
    )


def cohort_words(row: Mapping[str, Any]) -> str:
    basis = row["cohort_basis"]
    if basis == "published":
        return f"{row['cohort']:.0f}"
    if basis == "last published":
        return f"{row['cohort']:.0f} in {row['cohort_year']:.0f}"
    if basis == "estimated":
        return f"about {row['cohort']:.0f}"
    return "not known"


def school_rows(table: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """One line a school, its reasons in words. The rows are read as plain records, once: a pandas row per school
    (``iterrows``, twice) cost more than the words made from it."""
    small = pack_rules.defaults().small_cohort
    records = table.to_dict("records")
    words = [reasons(r, threshold) for r in records]
    return pd.DataFrame(
        {
            "School": [
                n + (" *" if (b != "unknown" and c < small) else "")
                for n, c, b in zip(table["school_name"], table["cohort"], table["cohort_basis"], strict=True)
            ],
            "This year": table["rwm_exp"].map(fmt_pct),
            "Chance next year": (table["p_below_next"] * 100).map(fmt_pct),
            "Pupils": [cohort_words(r) for r in records],
            "Raises the chance": [w[0] for w in words],
            "Lowers the chance": [w[1] for w in words],
        }
    )


NUMERIC = ["This year", "Chance next year", "Pupils"]


@page.section(
    "The schools most at risk", part="risk", intro="Each school once, with what raises and what lowers its chance."
)
def section_watch(facts: PackFacts) -> list:
    r = facts.risk
    d = facts.definition
    above, stay = r["above_at_risk"], r["stay_below"]
    small = pack_rules.defaults().small_cohort
    thr, chance = d.threshold, f"{d.at_risk_chance:.0%}"
    rest = r["table"][r["table"]["p_below_next"] < d.at_risk_chance]
    out = [
        page.table(
            school_rows(above, thr),
            f"At or above {thr:g}% in {facts.year}, with at least a {chance} chance of "
            "being below it next year: the first calls",
            empty="No school above the bar now has so high a chance of falling below it.",
            numeric=NUMERIC,
        ),
        page.table(
            school_rows(stay, thr),
            f"Below {thr:g}% in {facts.year}, with at least a {chance} chance of staying below",
            empty="No school below the bar now is likely to stay there.",
            numeric=NUMERIC,
            collapsible=f"Below the bar now and likely to stay below ({count(len(stay), 'school')})",
        ),
        page.table(
            school_rows(rest, thr),
            "Every other school, most likely first",
            empty="No other schools.",
            numeric=NUMERIC,
            collapsible=f"Every other school ({len(rest)})",
        ),
        page.say(
            f"* fewer than {small} pupils: one pupil moves the result by more than {100 / small:.0f} points. "
            "Pupils: those who took the tests that year; where the year's file does not publish the number, "
            "the school's last published number and its year; “about” where it is estimated from the roll."
        ),
    ]
    if len(r["unlinked"]):
        out.append(
            page.note(
                f"The results of {count(len(r['unlinked']), 'school')} could not be linked to their records (names "
                "not matched), so no chance is shown for them."
            )
        )
    return out


def plot_calibration(table: pd.DataFrame, title: str):
    """Predicted against observed share below the bar, by tenth of predicted chance (the diagonal is perfect)."""
    fig, ax = style.new_axes(
        title, "Predicted share below the bar (%)", "Observed share below the bar (%)", figsize=(6, 5)
    )
    ax.plot([0, 100], [0, 100], color="#999999", lw=1, linestyle=":", label="perfect")
    ax.plot(table["predicted"], table["observed"], marker="o", color=style.ROLE_COLOURS["la"], label="the model")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.legend(loc="upper left")
    return fig


def section_backtest(facts: PackFacts) -> list:
    r = facts.risk
    if not r.ok or "backtest" not in r.data:
        return []
    bt = r["backtest"]
    model_rows = bt[(bt["method"] == "model") & bt["judged"]]
    given = model_rows[model_rows["national_change"].str.startswith("published")]
    forecast = model_rows[model_rows["national_change"].str.startswith("movements known")]
    shown = pd.DataFrame(
        {
            "Fitted on": given["fit"].str.replace("->", " to "),
            "Tested on": given["test"].str.replace("->", " to "),
            "Schools": given["schools"].map(fmt_int),
            "Worst gap, told England's move (points)": given["max_decile_error_pts"].map(lambda v: f"{v:.1f}"),
            "Worst gap, as forecast (points)": forecast["max_decile_error_pts"].map(lambda v: f"{v:.1f}").to_numpy(),
        }
    )
    pooled = r["pooled"]
    worst = float(pooled.loc[pooled["schools"] >= 100, "difference"].abs().max())
    return [
        page.details(
            "How well the model has done on past years",
            page.say(
                "Each test fits the model on earlier years only and compares its chances with what happened in a "
                "later year it never saw. Schools are grouped by their predicted chance into tenths; the gap is "
                "the largest difference, in points, between the predicted and the observed share below the bar "
                "in any tenth with at least 100 schools."
            ),
            page.table(
                shown,
                "Past years: the largest gap between predicted and observed",
                empty="No tests.",
                numeric=list(shown.columns[2:]),
            ),
            page.say(
                f"Forecasts as this report makes them, all test years together: the largest gap is {worst:.1f} "
                "points. Told how England moved, every test is within 5 points; as a forecast, the single years "
                "are a little wider, because no forecast can know England's move."
            ),
            plot_calibration(pooled, "Forecasts against what happened, all test years"),
        )
    ]
