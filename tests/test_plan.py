"""The council's own plan (issue #15): demand from its own strands and risk levels, cost per financial year from a
price file, clusters or footprints that add up to the LA, and school-to-school support as an assignment."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from ks2workbook.analyses import pack, plan, support
from ks2workbook.core.errors import WorkbookError
from ks2workbook.data import tables
from ks2workbook.rules import plan as plan_rules
from ks2workbook.rules.strands import STRANDS
from ks2workbook.views import support as support_view

WALSALL_CLUSTERS = "plans/clusters_walsall_example.yaml"


@pytest.fixture(scope="module")
def walsall(tables) -> pack.PackFacts:
    return pack.facts(pack.define(la_code=335, clusters_file=WALSALL_CLUSTERS))


@pytest.mark.parametrize("la", [831, 343])
def test_default_plan_uses_the_councils_own_strand_counts(tables, la):
    facts = pack.facts(pack.define(la_code=la))
    assert facts.plan.ok, facts.plan.reason
    built = facts.plan["plan"]
    strand_counts = facts.strands["table"].set_index("strand")["la_schools"]
    # the plan's schools per strand are the strand table's, school for school
    assert built.counts["all"].to_dict() == strand_counts.reindex(list(STRANDS)).to_dict()
    demand = built.result.demand.groupby("strand")["schools"].sum()
    assert demand.reindex(list(STRANDS)).to_dict() == strand_counts.reindex(list(STRANDS)).to_dict()
    # and the risk levels are the risk part's (schools with a forecast keep theirs)
    risk_levels = facts.risk["table"].drop_duplicates("urn").set_index("urn")["risk_level"]
    forecast = built.levels[built.levels["level_basis"] == "forecast"].set_index("urn")["risk_level"]
    assert len(forecast) > 0.8 * len(built.levels)
    assert (forecast == risk_levels.reindex(forecast.index)).all()


def test_days_follow_the_allocation_file(tables):
    facts = pack.facts(pack.define(la_code=343))
    built = facts.plan["plan"]
    alloc = plan_rules.allocation("plans/allocation_default.yaml")
    c = built.counts
    # Sefton 2010: 5 core days for all, +3 below floor, +3 / +1.5 / 0 by risk for strands 2 and 3
    expected = 5 * c["all"].sum() + 3 * c.loc["below_floor", "all"]
    for strand in ("maximising_progress", "inconsistent"):
        expected += 3 * c.loc[strand, "high"] + 1.5 * c.loc[strand, "medium"]
    assert alloc.core_days == 5
    assert built.result.days_needed == pytest.approx(expected)
    assert built.result.days_supplied == pytest.approx(built.result.days_needed)  # bought-in days meet the rest


def test_first_financial_year_follows_the_data_year(tables):
    for year in (2025, 2023):
        facts = pack.facts(pack.define(la_code=831, year=year))
        years = facts.plan["plan"].result.years
        assert years["fy"].iloc[0] == f"{year}-{(year + 1) % 100:02d}"
        assert years["months"].iloc[0] == pytest.approx(7)  # September to March
        assert (years["months"].iloc[1:] == 12).all()
        assert facts.plan["plan"].result.scenario.term == "improvement adviser"


def test_prices_come_from_the_price_file(tables):
    facts = pack.facts(pack.define(la_code=831))
    lines = facts.plan["plan"].result.lines.set_index("kind")
    prices = plan_rules.prices("plans/prices_example_2026.yaml")
    assert lines.loc["external", "unit_cost"] == 600  # the RISE advisers' published day rate
    assert lines.loc["employed", "unit_cost"] == pytest.approx(62_455 * 1.336)
    need = facts.plan["plan"].result.days_needed
    assert lines.loc["employed", "quantity"] == pytest.approx(round(need * 0.5 / 160, 1))
    assert prices.employed.days_per_fte == 160


def test_clusters_add_up_to_the_la(walsall):
    built = walsall.plan["plan"]
    table = built.clusters.set_index("cluster")
    total = table.loc["All schools"]
    parts = table.drop(index="All schools")
    for col in ("schools", *STRANDS, "flag_below_floor", "flag_at_risk", "flag_stuck", "days_needed"):
        assert parts[col].sum() == pytest.approx(total[col]), col
    assert total["schools"] == len(walsall.strands["assigned"])
    # each school sits in exactly one strand; the flags are counted apart from the strands
    assert total[list(STRANDS)].sum() == total["schools"]
    assert total["below_floor"] == int((walsall.strands["assigned"]["strand"] == "below_floor").sum())
    assert total["days_needed"] == pytest.approx(built.result.days_needed)
    assert total["flag_at_risk"] == int((walsall.risk["table"]["p_below_next"] >= 0.5).sum())
    # two improvement advisers per footprint at 160 days
    assert table.loc["North", "days_allocated"] == 320
    # each centre school is in its own footprint; schools with no location are listed as such, not dropped
    members = built.members.set_index("urn")
    centres = {104222: "North", 104174: "West", 104160: "South-East"}
    held = [u for u in centres if u in members.index]  # a centre is a place; it need not have results this year
    assert len(held) >= 2 and all(members.loc[u, "cluster"] == centres[u] for u in held)
    unlocated = members[members["latitude"].isna()]
    assert (unlocated["cluster"] == plan.NOT_LOCATED).all()
    assert built.located + len(unlocated) == len(members)


def test_nearest_centre_is_the_nearest(walsall):
    members = walsall.plan["plan"].members.dropna(subset=["latitude"])
    schools = tables.load("schools").drop_duplicates("urn", keep="last").set_index("urn")
    centres = {"North": 104222, "West": 104174, "South-East": 104160}
    for _, row in members.sample(10, random_state=1).iterrows():
        km = {
            name: np.hypot(
                (schools.loc[u, "latitude"] - row["latitude"]) * 111.2,
                (schools.loc[u, "longitude"] - row["longitude"]) * 111.2 * np.cos(np.radians(52.6)),
            )
            for name, u in centres.items()
        }
        assert row["cluster"] == min(km, key=km.get)


def test_whole_la_is_one_cluster_without_a_file(tables):
    facts = pack.facts(pack.define(la_code=201))
    table = facts.plan["plan"].clusters
    assert list(table["cluster"]) == [plan.WHOLE_LA, "All schools"]
    assert table["schools"].tolist() == [1, 1]


# ------------------------------------------------------------------------------------------------------------
# The assignment
# ------------------------------------------------------------------------------------------------------------


def test_assignment_beats_the_greedy_choice():
    # Partner 0 is nearest to supporter 0 (1 km) but also near supporter 1 (2 km); partner 1 can reach only
    # supporter 0. Greedy in order gives partner 0 supporter 0 and leaves partner 1 unpaired; the best pairs both.
    inf = support.INFEASIBLE
    cost = np.array([[1.0, 2.0], [1.5, inf]])
    pairs = support.assign(cost, np.array([1, 1]))
    assert sorted(pairs) == [(0, 1), (1, 0)]


def test_assignment_respects_places_and_limits():
    cost = np.array([[1.0], [2.0], [3.0]])
    assert sorted(support.assign(cost, np.array([2]))) == [(0, 0), (1, 0)]  # at most two partners
    assert support.assign(np.array([[support.INFEASIBLE]]), np.array([2])) == []  # never an infeasible pair


def _frame(rows):
    return pd.DataFrame(rows).set_index("urn")


def test_no_pair_across_the_distance_limit_and_the_neediest_first():
    rules = plan_rules.SupportRules(max_partners=1, max_km=10)
    lat0, lon0 = 52.60, -1.98
    supporters = _frame([{"urn": 100001, "school_name": "S", "cluster": "A", "latitude": lat0, "longitude": lon0,
                          "pct_fsm": 20.0, "places": 1, "why": "great", "rwm_exp": 90.0}])  # fmt: skip
    base = {"cluster": "A", "pct_fsm": 20.0, "rwm_exp": 50.0, "progress_year": 2023}
    partners = _frame(
        [
            {"urn": 100002, "school_name": "Near", "latitude": lat0 + 0.01, "longitude": lon0, "priority": 1,
             "why": "progress below the bar", **base},
            {"urn": 100003, "school_name": "Needier", "latitude": lat0 + 0.05, "longitude": lon0, "priority": 3,
             "why": "stuck", **base},
            {"urn": 100004, "school_name": "Far", "latitude": lat0 + 0.3, "longitude": lon0, "priority": 3,
             "why": "stuck", **base},
        ]
    )  # fmt: skip
    for frame in (partners, supporters):
        for col in support.SUBJECTS:
            frame[col] = np.nan
    pairs, unpaired = support.pair_schools(pd.concat([partners, supporters]), supporters, partners, rules)
    assert pairs["partner"].tolist() == ["Needier"]  # one place: the stuck school, though further, comes first
    reasons = unpaired.set_index("school_name")["reason"]
    assert reasons["Far"] == "no supporting school within 10 km in the same cluster"  # 33 km away
    assert reasons["Near"].startswith("the places at the supporting schools within reach went to")


def test_explanation_names_the_real_figures(walsall):
    pairs = walsall.plan["support"].pairs
    assert len(pairs) > 0
    first = pairs.iloc[0]
    said = support_view.say_pair(first)
    results = tables.load("school_results")
    census = tables.load("census")
    schools = tables.load("schools").drop_duplicates("urn", keep="last").set_index("urn")
    a, b = schools.loc[first["partner_urn"]], schools.loc[first["supporter_urn"]]
    km = 2 * 6371.0088 * np.arcsin(
        np.sqrt(
            np.sin(np.radians(b.latitude - a.latitude) / 2) ** 2
            + np.cos(np.radians(a.latitude)) * np.cos(np.radians(b.latitude))
            * np.sin(np.radians(b.longitude - a.longitude) / 2) ** 2
        )
    )  # fmt: skip
    assert f"{km:.1f} km apart" in said
    for urn in (first["partner_urn"], first["supporter_urn"]):
        fsm = census[census["urn"] == urn].sort_values("year")
        nearest = fsm.iloc[(fsm["year"] - 2025).abs().argsort().iloc[0]]["pct_fsm"]
        assert f"{nearest:.0f}%" in said
    prog = results[(results["urn"] == first["supporter_urn"]) & results["read_prog"].notna()]
    latest = prog.sort_values("year").iloc[-1]
    best = max(
        ("reading", latest.read_prog), ("writing", latest.writ_prog), ("maths", latest.mat_prog), key=lambda t: t[1]
    )
    assert f"{best[0]}" in said and f"{best[1]:+.1f}" in said


def test_supporters_are_strand_five_and_never_partners(walsall):
    helped = walsall.plan["support"]
    assigned = walsall.strands["assigned"].set_index("urn")
    assert set(assigned.loc[helped.supporters["urn"], "strand"]) <= {"great"}
    assert not set(helped.supporters["urn"]) & set(helped.partners["urn"])
    taken = helped.pairs.groupby("supporter_urn").size()
    assert taken.max() <= helped.rules.max_partners
    assert (helped.pairs["km"] <= helped.rules.max_km).all()
    assert len(helped.pairs) + len(helped.unpaired) == len(helped.partners)


# ------------------------------------------------------------------------------------------------------------
# The council's files, refused clearly
# ------------------------------------------------------------------------------------------------------------


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_cluster_file_of_another_council_is_refused(tables):
    with pytest.raises(WorkbookError, match=r"is for Walsall \(335\), not Derby \(831\)"):
        pack.define(la_code=831, clusters_file=WALSALL_CLUSTERS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\ncore_days: -1\n", r"line 2: core_days: Input should be greater than or equal to 0"),
        ("name: x\ncore_days: 5\nextra_dayz: {}\n", r"line 3: extra_dayz: unknown field"),
        ("name: x\ncore_days: 5\nextra_days: {top: 3}\n", r"'top' is not a strand name"),
        ("name: x\ncore_days: 5\nextra_days: {inconsistent: {severe: 3}}\n", r"'severe' is not a risk level"),
    ],
)
def test_bad_allocation_files_name_the_line(tmp_path, text, message):
    path = _write(tmp_path, "alloc.yaml", text)
    with pytest.raises(WorkbookError, match=message):
        plan_rules.allocation(path)


def test_bad_cluster_files(tmp_path):
    twice = _write(tmp_path, "c1.yaml", """\
        name: x
        la_code: 335
        clusters:
          - {name: A, urns: [104222]}
          - {name: A, urns: [104174]}
        """)  # fmt: skip
    with pytest.raises(WorkbookError, match="cluster names must differ: A given twice"):
        plan_rules.clusters(twice)
    no_centre = _write(tmp_path, "c2.yaml", "name: x\nla_code: 335\nrule: nearest_centre\nclusters: [{name: A}]\n")
    with pytest.raises(WorkbookError, match="needs a centre_urn for every cluster"):
        plan_rules.clusters(no_centre)
    outside = tmp_path.parent.parent / "clusters.yaml"
    with pytest.raises(WorkbookError, match="not found|outside the workbook"):
        plan_rules.clusters(outside)
