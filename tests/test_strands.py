"""WCPP strands: the criteria file, assignment order and boundaries on constructed schools, the shipped data
adding up, which floor and which Ofsted judgements were used, and the pack's strand x risk-level counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ks2workbook.analyses import accountability as acc
from ks2workbook.analyses import pack, strands
from ks2workbook.core.errors import ConfigError, NoDataError, UnknownAreaError
from ks2workbook.data import tables as dataset
from ks2workbook.rules import accountability as acc_rules
from ks2workbook.rules import strands as strand_rules
from ks2workbook.rules.strands import ORDER, STRANDS, TABLE_ORDER

DERBY = 831
LOCAL_RULE = "rules/local_floor_example.yaml"  # the example council floor shipped with the workbook


@pytest.fixture(scope="module")
def rules() -> strand_rules.StrandRules:
    return strand_rules.load_rules()


@pytest.fixture(scope="module")
def england_2018() -> pd.DataFrame:
    return strands.england(2018)


@pytest.fixture(scope="module")
def derby_2018() -> pd.DataFrame:
    return strands.assign(DERBY, 2018)


@pytest.fixture(scope="module")
def derby_table_2018() -> pd.DataFrame:
    return strands.strand_table(DERBY, 2018)


# ---- the criteria file -------------------------------------------------------------------------------------


def test_strand_keys_are_one_definition(rules):
    assert list(TABLE_ORDER) == list(STRANDS)
    assert set(strand_rules.StrandSet.model_fields) == set(STRANDS)  # the criteria file has one entry per strand
    assert sorted(ORDER) == sorted(STRANDS) and ORDER[-1] == "good_to_great"  # takes the rest, so last
    assert {key: getattr(rules.strands, key).label for key in STRANDS} == STRANDS  # the shipped labels


def test_shipped_criteria_are_the_documented_ones(rules):
    s = rules.strands
    assert (s.below_floor.below_floor, s.below_floor.in_category) == (True, True)
    # Progress below the coasting bars: The Coasting Schools (England) Regulations 2017 (SI 2017/9), as the
    # coasting rule file states them.
    coasting = acc_rules.coasting().data_rule.progress.conditions
    assert s.maximising_progress.progress_below == {c.measure: c.below for c in coasting}
    assert s.maximising_progress.progress_below == {"read_prog": -2.5, "writ_prog": -3.5, "mat_prog": -2.5}
    assert s.maximising_progress.progress_max_age == 2
    assert (s.inconsistent.rwm_sd_at_least, s.inconsistent.min_years) == (15, 3)
    assert (s.great.rwm_at_least, s.great.mean_progress_at_least, s.great.or_ofsted) == (80, 0, "outstanding")


def _write(tmp_path, text: str):
    path = tmp_path / "strands.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _shipped_text() -> str:
    return strand_rules.resolve_path(None).read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, t in enumerate(text.splitlines(), 1) if needle in t)


def test_unknown_field_names_the_field_the_line_and_what_is_allowed(tmp_path):
    text = _shipped_text().replace("rwm_sd_at_least: 15", "rwm_sd_at_least: 15\n    rwm_range: 3")
    with pytest.raises(ConfigError) as err:
        strand_rules.load_rules(_write(tmp_path, text))
    msg = str(err.value)
    assert f"line {_line_of(text, 'rwm_range')}:" in msg
    assert "strands.inconsistent.rwm_range: unknown field 'rwm_range'" in msg
    assert "allowed here: label, rwm_sd_at_least, min_years" in msg


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("rwm_at_least: 80", "rwm_at_least: 180", "strands.great.rwm_at_least"),
        ("    or_ofsted: outstanding", "    or_ofsted: good", "strands.great.or_ofsted"),
        ("mat_prog: -2.5", "mat_prog: -40", "strands.maximising_progress.progress_below.mat_prog"),
        ("min_years: 3", "min_years: 1", "strands.inconsistent.min_years"),
    ],
)
def test_bad_value_names_the_field_and_line(tmp_path, old, new, field):
    text = _shipped_text().replace(old, new, 1)
    with pytest.raises(ConfigError, match=rf"line {_line_of(text, new.strip())}: {field}:"):
        strand_rules.load_rules(_write(tmp_path, text))


def test_unreadable_files_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        strand_rules.load_rules(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="line 1: not valid YAML"):
        strand_rules.load_rules(_write(tmp_path, "strands: [unclosed"))


# ---- assignment on constructed schools ---------------------------------------------------------------------


def _schools(rows: list[dict]) -> pd.DataFrame:
    """Schools with exactly the columns assign_frame reads; each row changes a middling school (RWM 70%, progress
    0, three steady years, no Ofsted concern)."""
    base = {
        "rwm_exp": 70.0,
        "below_floor": False,
        "in_category": False,
        "category": None,
        "read_prog": 0.0,
        "writ_prog": 0.0,
        "mat_prog": 0.0,
        "progress_year": 2018,
        "rwm_count": 3,
        "rwm_std": 5.0,
        "rwm_min": 65.0,
        "rwm_max": 75.0,
        "outstanding": False,
        "good_or_better": True,
    }
    return pd.DataFrame([{**base, **r} for r in rows])


BOUNDARIES = [
    ({"below_floor": True}, "below_floor"),
    ({"in_category": True, "category": "special measures", "rwm_exp": 90.0}, "below_floor"),  # beats great results
    ({"in_category": True, "mat_prog": -6.0}, "below_floor"),  # a category comes before progress
    ({"mat_prog": -2.6}, "maximising_progress"),
    ({"mat_prog": -2.5}, "good_to_great"),  # exactly on the bar: not below
    ({"writ_prog": -3.5}, "good_to_great"),  # writing's bar is -3.5
    ({"writ_prog": -3.6, "rwm_std": 20.0}, "maximising_progress"),  # progress comes before inconsistency
    ({"rwm_std": 15.0}, "inconsistent"),  # exactly at the SD bar: inconsistent
    ({"rwm_std": 14.9}, "good_to_great"),
    ({"rwm_std": 30.0, "rwm_count": 2}, "good_to_great"),  # too few years to judge
    ({"rwm_std": 20.0, "rwm_exp": 90.0}, "inconsistent"),  # inconsistency comes before great
    ({"rwm_exp": 80.0}, "great"),  # at the 80% bar, progress 0
    ({"rwm_exp": 79.0}, "good_to_great"),
    ({"rwm_exp": 85.0, "read_prog": -1.0, "writ_prog": -1.0, "mat_prog": -1.0}, "good_to_great"),  # progress < 0
    ({"rwm_exp": 85.0, "read_prog": np.nan, "writ_prog": np.nan, "mat_prog": np.nan}, "great"),  # none published
    ({"outstanding": True, "rwm_exp": 60.0}, "great"),  # Ofsted outstanding or the equivalent
    ({"good_or_better": True, "rwm_exp": 60.0}, "good_to_great"),  # good is not enough with or_ofsted: outstanding
    ({}, "good_to_great"),
]


def test_assignment_order_and_boundaries(rules):
    frame = _schools([row for row, _ in BOUNDARIES])
    assert strands.assign_frame(frame, rules)["strand"].tolist() == [strand for _, strand in BOUNDARIES]


def test_every_school_gets_a_reason(rules):
    out = strands.assign_frame(
        _schools(
            [
                {"mat_prog": -4.0},
                {},
                {"below_floor": True, "in_category": True, "category": "special measures", "rwm_exp": 40.0},
                {"in_category": True},
                {"rwm_std": 16.0, "rwm_min": 40.0, "rwm_max": 75.0},
                {"rwm_exp": 85.0, "outstanding": True},
            ]
        ),
        rules,
    )
    assert out["why"].tolist() == [
        "maths progress -4.0 below -2.5 (2018)",
        "none of the criteria above (RWM 70%)",
        "below the floor (RWM 40%); Ofsted: special measures",
        "Ofsted: category of concern",
        "RWM varied by a standard deviation of 16 points over 3 years (40% to 75%)",
        "RWM 85%; Ofsted outstanding or equivalent",
    ]
    assert out["label"].tolist() == [STRANDS[s] for s in out["strand"]]


def test_edited_rules_change_the_assignment(tmp_path):
    frame = _schools([{"rwm_exp": 90.0}, {"outstanding": True, "rwm_exp": 60.0}, {"in_category": True}])
    shipped = strands.assign_frame(frame, strand_rules.load_rules())["strand"].tolist()
    assert shipped == ["great", "great", "below_floor"]
    text = (
        _shipped_text()
        .replace("rwm_at_least: 80", "rwm_at_least: 95")
        .replace("    or_ofsted: outstanding", "    or_ofsted: none")
        .replace("in_category: true", "in_category: false")
    )
    edited = strands.assign_frame(frame, strand_rules.load_rules(_write(tmp_path, text)))["strand"].tolist()
    assert edited == ["good_to_great", "good_to_great", "good_to_great"]


# ---- the shipped data --------------------------------------------------------------------------------------


def _mainstream_with_results(year: int, la_code: int | None = None) -> set[int]:
    results = dataset.load("school_results")
    rows = results[results["year"] == year].dropna(subset=["urn", "rwm_exp"])
    if la_code is not None:
        rows = rows[rows["la_code_now"] == la_code]
    return set(rows["urn"].astype("int64")) - set(dataset.not_mainstream_urns())


def test_strand_table_adds_up_to_the_las_schools(derby_table_2018):
    table = derby_table_2018
    assert table["strand"].tolist() == list(TABLE_ORDER) and table["number"].tolist() == [1, 2, 3, 4, 5]
    # Every Derby mainstream school with a 2018 KS2 result (DfE performance tables 2018) is in one strand.
    assert table["la_schools"].sum() == len(_mainstream_with_results(2018, DERBY)) == 58
    assert table["la_share"].sum() == pytest.approx(100)
    assert table["england_share"].sum() == pytest.approx(100)
    assert table["england_schools"].sum() == len(_mainstream_with_results(2018))
    head = strands.headline(DERBY, 2018)
    assert {k: head[k] for k in STRANDS} == table.set_index("strand")["la_schools"].to_dict()
    assert head["all"] == 58


def test_assign_lists_each_school_once_with_a_reason(derby_2018, derby_table_2018):
    assert set(derby_2018["urn"]) == _mainstream_with_results(2018, DERBY) and derby_2018["urn"].is_unique
    assert derby_2018["why"].str.len().gt(0).all()
    assert derby_2018["strand"].value_counts().to_dict() == {
        k: n for k, n in derby_table_2018.set_index("strand")["la_schools"].items() if n
    }
    for col in ("below_floor", "in_category", "good_or_better", "rwm_count", "rwm_std"):
        assert col in derby_2018.columns
    # Strand 1 is below the floor or in a category, never anything else.
    first = derby_2018[derby_2018["strand"] == "below_floor"]
    assert (first["below_floor"] | first["in_category"]).all()
    assert not (derby_2018.loc[derby_2018["strand"] != "below_floor", ["below_floor", "in_category"]]).any().any()


def test_a_school_below_the_floor_and_in_a_category_says_both(derby_2018):
    # Landau Forte Academy Moorhead, Derby: 24% RWM in 2018 with progress below the 2018 floor's bars, and
    # judged inadequate by Ofsted on 6 March 2019 (in force on 31 August 2019).
    row = derby_2018.set_index("urn").loc[138790]
    assert row["strand"] == "below_floor" and row["below_floor"] and row["in_category"]
    assert row["why"] == "below the floor (RWM 24%); Ofsted: special measures or serious weaknesses"


def test_englands_first_strand_is_the_floor_or_a_category(england_2018):
    from ks2workbook.analyses import floor

    first = england_2018["strand"] == "below_floor"
    assert (first == (england_2018["below_floor"] | england_2018["in_category"])).all()
    verdict = floor.school_floor(2018).dropna(subset=["urn"]).drop_duplicates("urn")
    below = set(verdict.loc[verdict["status"] == "below floor", "urn"].astype("int64"))
    assert set(england_2018.index[england_2018["below_floor"]]) == below & set(england_2018.index)
    # Measured: 352 mainstream schools with a 2018 result below the 2018 floor; 369 in an Ofsted category on 31
    # August 2019 (each school's own latest inspection by then, closed schools included); 675 in strand 1.
    judged = acc.judged("")
    held = judged[judged["inspection_date"] <= pd.Timestamp("2019-08-31")].sort_values("inspection_date")
    latest = held.groupby("urn").tail(1)
    in_cat = set(latest.loc[latest["in_category"], "urn"]) & set(england_2018.index)
    assert set(england_2018.index[england_2018["in_category"]]) >= in_cat
    assert (int(england_2018["below_floor"].sum()), len(in_cat), int(first.sum())) == (352, 369, 675)


def test_which_floor_the_strands_used():
    empty = pd.Index([], dtype="int64")
    _, basis = strands.below_floor_flags(2018, empty, None)
    assert basis.startswith("the national floor of 2018")
    _, basis = strands.below_floor_flags(2025, empty, None)
    assert basis == "none applies to 2025: no national floor and no local floor"
    flags, basis = strands.below_floor_flags(2025, pd.Index([100000], dtype="int64"), LOCAL_RULE)
    assert basis.startswith("the local floor of 2025 (local: fewer than 65%")
    assert flags.dtype == bool and len(flags) == 1


def test_assign_says_which_floor_it_used(derby_2018):
    assert derby_2018.attrs["floor_basis"].startswith("the national floor of 2018")


def test_a_category_in_force_then_counts_though_the_school_has_since_closed(derby_2018):
    # St Peter's Church of England Aided Junior School, Derby (URN 112921): judged inadequate on 15 May 2019, in
    # force on 31 August 2019; it reopened as URN 147725, so 112921 is not in the May 2026 Ofsted file.
    row = derby_2018.set_index("urn").loc[112921]
    assert row["in_category"] and row["strand"] == "below_floor"


def test_bad_inputs():
    with pytest.raises(UnknownAreaError):
        strands.strand_table(4242, 2018)
    with pytest.raises(NoDataError, match="no schools with KS2 RWM results for .* in 2019; years with them"):
        strands.assign(343, 2019)  # 2019: school results for Hampshire and Surrey only
    with pytest.raises(NoDataError, match="no school-level RWM results for 2021"):
        strands.assign(DERBY, 2021)


# ---- strands by risk level from the pack -------------------------------------------------------------------


def test_strand_counts_by_risk_level_add_up_to_the_strand_table():
    facts = pack.facts(pack.define(la_code=DERBY))
    assert facts.plan.ok, facts.plan.reason
    counts = facts.plan["plan"].counts
    table = facts.strands["table"].set_index("strand")
    assert list(counts.index) == list(STRANDS) and list(counts.columns) == ["high", "medium", "low", "all"]
    assert counts["all"].to_dict() == table["la_schools"].to_dict()
    assert (counts[["high", "medium", "low"]].sum(axis=1) == counts["all"]).all()
    # Each school's level is the risk part's: high = at least the pack's at-risk chance of being below the bar.
    levels = facts.risk["table"].set_index("urn")["risk_level"]
    assigned = facts.strands["assigned"].set_index("urn")
    assert set(levels.index) == set(assigned.index)
    crossed = pd.crosstab(assigned["strand"], levels.reindex(assigned.index))
    crossed = crossed.reindex(index=list(STRANDS), columns=["high", "medium", "low"], fill_value=0)
    pd.testing.assert_frame_equal(counts[["high", "medium", "low"]], crossed, check_names=False)
