"""The early-warning section: which schools may be below the bar next year, how sure the model is, what drives
each school's chance (what raises it and what lowers it), and how well the model has done on past years.
Figures from :mod:`ks2workbook.analyses.risk` through the pack's facts.
"""

from __future__ import annotations

import pandas as pd

from ..analyses.pack import PackFacts
from ..core.formats import fmt_int, fmt_pct
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
            f"The chances assume England's results move by {d.national_change:+g} points next year, as set for "
            "this pack."
        )
    known = r["known_changes"]
    moves = ", ".join(f"{v:+.0f}" for v in known)
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
                f"of {fmt_int(r['schools'])} schools with a result in {facts.year}, about {e['expected']:.0f} are "
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
                f"{c:+g} points" + (" (its recent trend)" if t else "")
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
        page.takeaway(
            page.esc(
                "the count moves by about one school for each point England moves: the list of "
                "schools most at risk changes much less than the count."
            )
        ),
    ]


DRIVER_WORDS = {
    "position": "its result against the bar, given its size",
    "prev_move": "last year's move",
    "progress": "its pupils' progress",
    "pct_fsm": "its share of pupils on free school meals",
    "pct_eal": "its share of pupils with English as an additional language",
}


def _driver_text(row: pd.Series, threshold: float) -> tuple[str, str]:
    """What raises and what lowers this school's chance, in words with its own figures."""
    detail = {
        "position": f"{row['rwm_exp']:.0f}% against a bar of {threshold:g}%"
        + ("" if row["cohort_basis"] == "unknown" else f", {row['cohort']:.0f} pupils"),
        "prev_move": (
            "no earlier result" if pd.isna(row["rwm_prev"]) else f"{row['rwm_prev']:.0f}% to {row['rwm_exp']:.0f}%"
        ),
        "progress": "no progress published" if pd.isna(row["progress"]) else f"average {row['progress']:+.1f}",
        "pct_fsm": "not published" if pd.isna(row["pct_fsm"]) else fmt_pct(row["pct_fsm"]),
        "pct_eal": "not published" if pd.isna(row["pct_eal"]) else fmt_pct(row["pct_eal"]),
    }
    contrib = {g: row[f"drive_{g}"] for g in DRIVER_WORDS}
    up = [g for g, v in sorted(contrib.items(), key=lambda kv: -kv[1]) if v > 0.15][:2]
    down = [g for g, v in sorted(contrib.items(), key=lambda kv: kv[1]) if v < -0.15][:2]
    raises = "; ".join(f"{DRIVER_WORDS[g]} ({detail[g]})" for g in up) or "nothing stands out"
    lowers = "; ".join(f"{DRIVER_WORDS[g]} ({detail[g]})" for g in down) or "nothing stands out"
    return raises, lowers


def cohort_words(row: pd.Series) -> str:
    basis = row["cohort_basis"]
    if basis == "published":
        return f"{row['cohort']:.0f}"
    if basis == "last published":
        return f"{row['cohort']:.0f} ({row['cohort_year']:.0f})"
    if basis == "estimated":
        return f"about {row['cohort']:.0f} (estimated)"
    return "not known"


def school_rows(table: pd.DataFrame, threshold: float) -> pd.DataFrame:
    small = pack_rules.defaults().small_cohort
    words = [_driver_text(r, threshold) for _, r in table.iterrows()]
    return pd.DataFrame(
        {
            "School": [
                n + (" *" if (b != "unknown" and c < small) else "")
                for n, c, b in zip(table["school_name"], table["cohort"], table["cohort_basis"], strict=True)
            ],
            "Result this year": table["rwm_exp"].map(fmt_pct),
            "Pupils": [cohort_words(r) for _, r in table.iterrows()],
            "Chance of being below next year": (table["p_below_next"] * 100).map(fmt_pct),
            "Raises the chance": [w[0] for w in words],
            "Lowers the chance": [w[1] for w in words],
        }
    )


def section_watch(facts: PackFacts) -> list:
    r = facts.risk
    if not r.ok:
        return []
    d = facts.definition
    above, stay = r["above_at_risk"], r["stay_below"]
    small = pack_rules.defaults().small_cohort
    out = [
        page.heading("Above the bar now, at risk next year", 3),
        page.table(
            school_rows(above, d.threshold),
            f"Schools above {d.threshold:g}% in {facts.year} with at least a "
            f"{d.at_risk_chance:.0%} chance of being below it next year, most likely first",
            empty="No school above the bar now has so high a chance of falling below it.",
            numeric=["Result this year", "Pupils", "Chance of being below next year"],
        ),
        page.heading("Below the bar now and likely to stay below", 3),
        page.table(
            school_rows(stay, d.threshold),
            f"Schools below {d.threshold:g}% in {facts.year} with at least a "
            f"{d.at_risk_chance:.0%} chance of being below it again",
            empty="No school is below the bar now with so high a chance of staying there.",
            numeric=["Result this year", "Pupils", "Chance of being below next year"],
        ),
        page.say(
            f"* fewer than {small} pupils: one pupil moves the result by more than {100 / small:.0f} points. "
            "Pupils: the number that took the tests that year; where the year's file does not publish it, the "
            "school's last published number (its year in brackets); estimated from its roll only where it "
            "has none."
        ),
    ]
    rest = r["table"][r["table"]["p_below_next"] < d.at_risk_chance]
    out.append(
        page.table(
            school_rows(rest, d.threshold),
            "Every other school, most likely first",
            empty="No other schools.",
            numeric=["Result this year", "Pupils", "Chance of being below next year"],
            collapsible="The other schools",
        )
    )
    if len(r["unlinked"]):
        out.append(
            page.note(
                f"{len(r['unlinked'])} schools' results could not be linked to their record (names not "
                "matched), so they have no chance shown."
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
    fig.tight_layout()
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
