"""Capacity and cost: the engine (scenarios, financial years, break-even, sensitivity), the views of the capacity
report (tables, charts, sliders, sections from the pack's facts) and ``ks2workbook capacity``.

Published figures are from Derby City Council's cabinet report on the World Class Primary Programme, February
2010: the "Current, to Sept 2010" and "Proposed, from Sept 2010" tables, in £k (tabled in
docs/domain/strands_and_plans.md).
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import typer
from ks2workbook.analyses import capacity as cap
from ks2workbook.cli.capacity import capacity_command
from ks2workbook.core.errors import ConfigError, WorkbookError
from ks2workbook.core.paths import scenarios_dir
from ks2workbook.rules.scenario import load_scenario
from ks2workbook.rules.strands import STRANDS
from ks2workbook.views import capacity as capview
from typer.testing import CliRunner


def k(pounds: float) -> int:
    """Pounds to £k as the council prints them (nearest £1k)."""
    return round(pounds / 1000)


@pytest.fixture(scope="module")
def current() -> cap.CapacityResult:
    return cap.evaluate("derby_2010_current.yaml")


@pytest.fixture(scope="module")
def proposed() -> cap.CapacityResult:
    return cap.evaluate("derby_2010_proposed.yaml")


def row(table: pd.DataFrame, line: str) -> pd.Series:
    match = table[table["line"].str.startswith(line)]
    assert len(match) == 1, f"expected one row starting {line!r}, got {list(table['line'])}"
    return match.iloc[0]


# --------------------------------------------------------------------------------------------------------
# Derby, February 2010
# --------------------------------------------------------------------------------------------------------


def test_derby_current_table(current):
    t = cap.cost_table(current)
    # Derby cabinet report Feb 2010, current: LA-employed SIPs (2 FTE) 264 days, 69 per FTE, cost 138.
    emp = row(t, "LA-employed SIPs (2 FTE)")
    assert emp["days"] == 264 and k(emp["cost"]) == 138
    # Derby Feb 2010, current: External SIPs 448 days at £425 a day, cost 190.
    ext = row(t, "External SIPs")
    assert ext["days"] == 448 and k(ext["cost"]) == 190
    # Derby Feb 2010, current: Total 674 days (as published), cost 328.
    total = row(t, "Total")
    assert total["days"] == 674
    assert k(total["cost"]) == 328 and k(current.cost_total) == 328
    assert "712" in total["note"]  # the discrepancy is shown, not hidden


def test_derby_current_discrepancy_is_reported(current):
    # Derby Feb 2010, current: 264 + 448 = 712, yet the total is printed as 674.
    assert current.days_supplied == 712
    check = cap.published_check(current).set_index("figure")
    assert not check.loc["Days, total", "agrees"]
    assert check.loc["Days, total", "difference"] == 712 - 674
    assert "264 + 448 = 712, not 674" in check.loc["Days, total", "comment"]
    # every other published figure of the current table agrees (days exactly, money to £1k)
    assert check.drop(index="Days, total")["agrees"].all()
    # one SIP spends 0.4 FTE outside the LA: paid for 2 FTE, days from 1.6 FTE
    emp = current.lines.set_index("name").loc["LA-employed SIPs"]
    assert emp["quantity"] == 2 and "0.4 FTE works outside the LA" in emp["note"]


def test_derby_proposed_table(proposed):
    t = cap.cost_table(proposed)
    # Derby Feb 2010, proposed: LA-employed SIPs (4 FTE) 640 days, 79 per FTE, 316.
    emp = row(t, "LA-employed SIPs (4 FTE)")
    assert emp["days"] == 640 and k(emp["cost"]) == 316
    # Derby Feb 2010, proposed: External SIPs 252 days at £425, 107.
    ext = row(t, "External SIPs")
    assert ext["days"] == 252 and k(ext["cost"]) == 107
    # Derby Feb 2010, proposed: Sub-total 892 days, 423.
    sub = row(t, "Sub-total")
    assert sub["days"] == 892 and k(sub["cost"]) == 423
    # Derby Feb 2010, proposed: New SIP manager post 79; Market supplement (x5) up to 8, up to 40.
    assert k(row(t, "New SIP manager post")["cost"]) == 79
    supp = row(t, "Market supplement (x5)")
    assert k(supp["cost"]) == 40 and supp["unit"] == "£8k per post"
    # Derby Feb 2010, proposed: Total 542.
    assert k(row(t, "Total")["cost"]) == 542
    # Derby Feb 2010, proposed: Additional cost 214 (542 - 328).
    assert k(row(t, "Additional cost")["cost"]) == 214
    # Derby Feb 2010: CYP budget pressure (funded) 58; DCSF WCPP grant (to April 2011 only) 56.
    assert k(row(t, "CYP budget pressure")["cost"]) == 58
    assert k(row(t, "DCSF WCPP grant")["cost"]) == 56
    # Derby Feb 2010: shortfall 2010-11, if the budget pressure is met, 100; after April 2011, 156.
    assert k(row(t, "Shortfall, 2010-11")["cost"]) == 100
    assert k(row(t, "Shortfall, from 2011-12")["cost"]) == 156


def test_derby_proposed_per_financial_year(proposed):
    y = proposed.years.set_index("fy")
    assert list(y.index) == ["2010-11", "2011-12", "2012-13"]
    # Published shortfalls (Derby Feb 2010) are at full-year rates: 100 in 2010-11, 156 after April 2011.
    assert k(y.loc["2010-11", "gap_full_year"]) == 100
    assert k(y.loc["2011-12", "gap_full_year"]) == 156
    assert k(y.loc["2012-13", "gap_full_year"]) == 156
    # In year, the September start means 7 months at the new cost (542.1k) and 5 at the old (328.4k):
    # 542,100 * 7/12 + 328,400 * 5/12 = 316,225 + 136,833.33 = 453,058.33; funding 328,400 + 58,000 + 56,000
    # = 442,400; in-year gap 10,658.33 (the report does not show this part-year effect).
    assert y.loc["2010-11", "months"] == pytest.approx(7)
    assert y.loc["2010-11", "cost"] == pytest.approx(453_058.33, abs=0.01)
    assert y.loc["2010-11", "funding"] == pytest.approx(442_400)
    assert y.loc["2010-11", "gap"] == pytest.approx(10_658.33, abs=0.01)
    # From 2011-12 the WCPP grant has gone: 542,100 - 328,400 - 58,000 = 155,700.
    assert y.loc["2011-12", "gap"] == pytest.approx(155_700)


def test_derby_published_check_all_agree(proposed):
    check = cap.published_check(proposed)
    assert check["agrees"].all(), check[~check["agrees"]]
    assert len(check) == 12  # 3 day figures, 6 costs, additional cost, 2 shortfalls (Derby Feb 2010 table)


def test_derby_comparison(proposed, current):
    comp = cap.compare(proposed, current)
    total = comp.iloc[-1]
    # Derby Feb 2010: additional cost 214 = 542 - 328
    assert k(total["change"]) == 214
    assert comp["change"].iloc[:-1].sum() == pytest.approx(total["change"])
    years = cap.compare_years(proposed, current).set_index("financial year")
    # 213,700 a year from September 2010: 213,700 * 7/12 = 124,658.33 in 2010-11
    assert years.loc["2010-11", "additional cost in year"] == pytest.approx(124_658.33, abs=0.01)
    assert years.loc["2011-12", "additional cost in year"] == pytest.approx(213_700)


def test_derby_days_needed_vs_supplied(proposed, current):
    # Allocation (Derby cabinet report, Feb 2010: 5 core days; up to 30 for below-floor schools; 12 for 12
    # priority schools; strand counts 15/18/14/7/2 of 56 schools): 15*30 + 12*12 + 6*5 + 14*5 + 7*5 + 2*5 = 739.
    assert proposed.days_needed == 739
    assert proposed.days_supplied == 892  # Derby Feb 2010, proposed sub-total
    assert proposed.balance == 153
    # Current: 15*12 + 12*12 + (6+14+7+2)*5 = 469 needed; 264 + 448 = 712 supplied
    assert current.days_needed == 469 and current.balance == 712 - 469
    assert current.demand["schools"].sum() == 56  # Derby's 56 junior and primary schools


def test_break_even_derby(proposed):
    be = cap.break_even(proposed).iloc[0]
    # 79,000 / 160 days = £493.75 a day on salary; (79,000 + 8,000) / 160 = £543.75 with the supplement
    assert be["cost_per_day_salary"] == pytest.approx(493.75)
    assert be["break_even_day_rate"] == pytest.approx(543.75)
    # with the manager post shared in: (4 * 87,000 + 87,000) / 640 = £679.69
    assert be["cost_per_day_with_management"] == pytest.approx(435_000 / 640)
    # at £425 a day, 160 days bought cost 68,000: 11,000 below the salary, so no supplement keeps it cheaper
    assert be["max_supplement"] == pytest.approx(425 * 160 - 79_000)
    assert not be["employed_cheaper"]
    # In words (views.capacity.break_even_words): £679.69 an employed day with the manager shared in, against
    # £425 bought in.
    assert capview.break_even_words(proposed) == (
        "An employed adviser's day costs £680 with the management posts shared in, against £425 for a day bought "
        "in: employing is dearer per day while the day rate stays below £680."
    )


def test_sensitivity_derby(proposed):
    sens = cap.sensitivity(proposed, change=0.10)
    top = sens.iloc[0]
    # salary ±10%: 4 FTE * 7,900 = ±31,600, a swing of 63,200 in the recurring gap
    assert top["input"] == "LA-employed SIPs: salary per FTE"
    assert top["swing"] == pytest.approx(63_200)
    fte = sens.set_index("input").loc["LA-employed SIPs: FTE (external days adjust)"]
    # FTE ±0.4 with external days adjusting by ∓64: 0.4 * 87,000 - 64 * 425 = 7,600 each way
    assert fte["change_high"] == pytest.approx(7_600)
    assert fte["swing"] == pytest.approx(15_200)
    assert (sens["swing"].diff().dropna() <= 0).all()  # largest first
    assert sens.attrs["metric"] == "recurring_gap"


def test_cost_by_strand_adds_up(proposed):
    t = cap.cost_by_strand(proposed)
    assert t["cost"].sum() == pytest.approx(proposed.cost_total)
    below = t.set_index("strand").loc[STRANDS["below_floor"]]
    # 30 days per below-floor school at 542,100 / 892 a day
    assert below["cost per school"] == pytest.approx(30 * 542_100 / 892)
    assert pd.isna(below["cost per pupil"])  # no pupil numbers in the Derby file


# --------------------------------------------------------------------------------------------------------
# Financial years, worked by hand
# --------------------------------------------------------------------------------------------------------

BASELINE_YAML = """\
name: Old arrangement
start: 2020-04-01
allocation:
  core_days: 5
schools:
  great: 10
supply:
  external:
    - day_rate: 500
      days: 160
"""

NEW_YAML = """\
name: New arrangement
start: 2021-11-01
horizon_years: 3
baseline: old.yaml
allocation:
  core_days: 5
schools:
  great: 10
supply:
  employed:
    - fte: 1
      days_per_fte: 160
      salary: 60000
  external:
    - day_rate: 500
      days: 100
funding:
  existing_budget: baseline
  lines:
    - name: Grant
      kind: grant
      annual_amount: 24000
      start: 2021-04-01
      end: 2022-06-15
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_financial_year_split_by_hand(tmp_path):
    write(tmp_path, "old.yaml", BASELINE_YAML)
    r = cap.evaluate(write(tmp_path, "new.yaml", NEW_YAML))
    # Old cost: 160 days * £500 = 80,000 a year (also the existing budget, "baseline").
    # New cost: 1 FTE * 60,000 + 100 days * £500 = 110,000 a year.
    assert r.baseline.cost_total == 80_000 and r.cost_total == 110_000 and r.existing_budget == 80_000
    y = r.years.set_index("fy")
    assert list(y.index) == ["2021-22", "2022-23", "2023-24"]
    # 2021-22 (Apr 2021 - Mar 2022): new from 1 Nov = Nov, Dec, Jan, Feb, Mar = 5 months.
    #   cost    = 110,000 * 5/12 + 80,000 * 7/12 = 45,833.33 + 46,666.67 = 92,500
    #   funding = 80,000 + grant 24,000 * 12/12 = 104,000
    #   gap     = 92,500 - 104,000 = -11,500 (a surplus); at full-year rates 110,000 - 104,000 = 6,000
    assert y.loc["2021-22", "months"] == pytest.approx(5)
    assert y.loc["2021-22", "cost"] == pytest.approx(92_500)
    assert y.loc["2021-22", "funding"] == pytest.approx(104_000)
    assert y.loc["2021-22", "gap"] == pytest.approx(-11_500)
    assert y.loc["2021-22", "gap_full_year"] == pytest.approx(6_000)
    # 2022-23: the grant ends 15 June 2022: April + May + 15/30 of June = 2.5 months.
    #   funding = 80,000 + 24,000 * 2.5/12 = 80,000 + 5,000 = 85,000; gap = 110,000 - 85,000 = 25,000
    assert y.loc["2022-23", "funding"] == pytest.approx(85_000)
    assert y.loc["2022-23", "gap"] == pytest.approx(25_000)
    # 2023-24: no grant: gap = 110,000 - 80,000 = 30,000
    assert y.loc["2023-24", "gap"] == pytest.approx(30_000)
    detail = r.funding_detail.set_index(["fy", "line"])["amount"]
    assert detail[("2022-23", "Grant")] == pytest.approx(5_000)
    assert detail[("2023-24", "Grant")] == 0
    # the council-form table collapses the runs of equal full-year gaps
    t = cap.cost_table(r)
    assert k(row(t, "Shortfall, 2021-22")["cost"]) == 6
    assert k(row(t, "Shortfall, 2022-23")["cost"]) == 25
    assert k(row(t, "Shortfall, from 2023-24")["cost"]) == 30


def test_financial_year_without_baseline(tmp_path):
    text = NEW_YAML.replace("baseline: old.yaml\n", "").replace("existing_budget: baseline", "existing_budget: 80000")
    y = cap.evaluate(write(tmp_path, "nobase.yaml", text)).years.set_index("fy")
    # No baseline: nothing is known before 1 Nov 2021, so 2021-22 counts 5 months of cost and of the existing
    # budget: cost 110,000 * 5/12 = 45,833.33; funding 80,000 * 5/12 + grant 24,000 = 33,333.33 + 24,000
    assert y.loc["2021-22", "cost"] == pytest.approx(45_833.33, abs=0.01)
    assert y.loc["2021-22", "funding"] == pytest.approx(57_333.33, abs=0.01)
    # at full-year rates the budget is a whole year: 110,000 - (80,000 + 24,000) = 6,000
    assert y.loc["2021-22", "gap_full_year"] == pytest.approx(6_000)
    # later years are whole years, as with a baseline: 110,000 - (80,000 + 5,000) = 25,000 in 2022-23
    assert y.loc["2022-23", "gap"] == pytest.approx(25_000)


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (dt.date(2010, 9, 1), None, 7),  # Sep-Mar
        (dt.date(2010, 4, 1), dt.date(2011, 3, 31), 12),  # the whole year
        (dt.date(2010, 4, 1), dt.date(2010, 6, 15), 2.5),  # Apr, May, 15 of June's 30 days
        (dt.date(2011, 4, 1), None, 0),  # next year
        (dt.date(2009, 1, 1), dt.date(2010, 3, 31), 0),  # previous year
        (dt.date(2011, 2, 15), None, 1 + 14 / 28),  # 14 of February 2011's 28 days, then March
    ],
)
def test_share_of_fy(start, end, months):
    assert cap.share_of_fy(2010, start, end) * 12 == pytest.approx(months)


def test_fy_helpers():
    assert cap.fy_of(dt.date(2010, 9, 1)) == 2010
    assert cap.fy_of(dt.date(2011, 3, 31)) == 2010
    assert cap.fy_of(dt.date(2011, 4, 1)) == 2011
    assert cap.fy_label(2010) == "2010-11" and cap.fy_label(1999) == "1999-00"


def test_days_to_meet_demand_and_risk_levels(tmp_path):
    text = NEW_YAML.replace("baseline: old.yaml\n", "").replace("existing_budget: baseline", "existing_budget: 0")
    text = text.replace("      days: 100", "      days: to_meet_demand")
    text = text.replace(
        "allocation:\n  core_days: 5\nschools:\n  great: 10",
        "allocation:\n  core_days: 5\n  extra_days:\n    inconsistent: {high: 3, medium: 1.5, low: 0}\n"
        "    below_floor: 25\n"
        "schools:\n  great: 10\n  below_floor: 4\n  inconsistent: {high: 2, medium: 4, low: 6}",
    )
    r = cap.evaluate(write(tmp_path, "fill.yaml", text))
    # needed: 10*5 + 4*30 + 2*8 + 4*6.5 + 6*5 = 50 + 120 + 16 + 26 + 30 = 242; employed 160; external 82
    assert r.days_needed == 242
    ext = r.lines.set_index("kind").loc["external"]
    assert ext["days"] == 82 and ext["cost"] == 82 * 500
    assert r.balance == 0
    # more core days: external days follow the demand
    more = cap.evaluate(cap.modified(r.scenario, {("allocation", "core_days"): 6.0}))
    assert more.days_needed == 242 + 26 and more.balance == 0


# --------------------------------------------------------------------------------------------------------
# Validation: clear errors naming the file, the line and the field
# --------------------------------------------------------------------------------------------------------


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(textwrap.dedent(text).splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def load_error(tmp_path: Path, text: str) -> str:
    write(tmp_path, "old.yaml", BASELINE_YAML)
    with pytest.raises(ConfigError) as info:
        cap.evaluate(write(tmp_path, "bad.yaml", text))
    assert isinstance(info.value, WorkbookError)
    return str(info.value)


def test_error_negative_fte(tmp_path):
    text = NEW_YAML.replace("- fte: 1", "- fte: -1")
    msg = load_error(tmp_path, text)
    assert msg.startswith(f"{tmp_path / 'bad.yaml'}: line {line_of(text, 'fte: -1')}: supply.employed[0].fte: ")
    assert "greater than or equal to 0 (got -1)" in msg
    assert "\n" not in msg  # one problem, one line


def test_error_grant_ends_before_it_starts(tmp_path):
    text = NEW_YAML.replace("end: 2022-06-15", "end: 2021-03-31")
    msg = load_error(tmp_path, text)
    assert f"line {line_of(text, 'end: 2021-03-31')}: funding.lines[0].end:" in msg
    assert "ends (2021-03-31) before it starts (2021-04-01)" in msg


def test_error_unknown_strand(tmp_path):
    text = NEW_YAML.replace("schools:\n  great: 10", "schools:\n  great: 10\n  bellow_floor: 3")
    msg = load_error(tmp_path, text)
    assert f"line {line_of(text, 'bellow_floor')}: schools.bellow_floor:" in msg
    assert "'bellow_floor' is not a strand name" in msg and "below_floor" in msg


def test_error_missing_field(tmp_path):
    text = NEW_YAML.replace("      salary: 60000\n", "")
    msg = load_error(tmp_path, text)
    # a missing key has no line: the error points at its list item and names the field
    assert f"line {line_of(text, '- fte: 1')}: supply.employed[0].salary: missing required field" in msg


def test_error_missing_top_level_field(tmp_path):
    text = NEW_YAML.replace("start: 2021-11-01\n", "")
    assert "line 1: start: missing required field" in load_error(tmp_path, text)


def test_error_unknown_field_and_several_problems(tmp_path):
    text = NEW_YAML.replace("day_rate: 500", "dayrate: 500").replace("days_per_fte: 160", "days_per_fte: 0")
    msg = load_error(tmp_path, text)
    assert "2 problems" in msg or "3 problems" in msg
    assert f"line {line_of(text, 'dayrate')}: supply.external[0].dayrate: unknown field" in msg
    assert "supply.external[0].day_rate: missing required field" in msg
    assert f"line {line_of(text, 'days_per_fte: 0')}: supply.employed[0].days_per_fte:" in msg


def test_error_duplicate_key_and_bad_yaml(tmp_path):
    text = NEW_YAML.replace("horizon_years: 3\n", "horizon_years: 3\nhorizon_years: 4\n")
    msg = load_error(tmp_path, text)
    assert f"line {line_of(text, 'horizon_years: 4')}: 'horizon_years' appears twice" in msg
    msg = load_error(tmp_path, NEW_YAML.replace("  great: 10", "  great: [10"))
    assert "not valid YAML" in msg and "line " in msg


def test_error_risk_levels_must_match(tmp_path):
    text = NEW_YAML.replace(
        "allocation:\n  core_days: 5", "allocation:\n  core_days: 5\n  extra_days:\n    great: {high: 2, low: 0}"
    )
    msg = load_error(tmp_path, text)
    assert f"line {line_of(text, '  great: 10')}: schools.great: extra_days for great is set by risk level" in msg
    msg = load_error(tmp_path, text.replace("  great: 10", "  great: {high: 2, hgh: 3}"))
    assert "schools.great.hgh: 'hgh' is not a risk level" in msg


def test_error_fill_and_baseline_rules(tmp_path):
    msg = load_error(tmp_path, NEW_YAML.replace("days: 100", "days: lots"))
    assert "supply.external[0].days: expected a number of days (0 or more) or 'to_meet_demand'" in msg
    msg = load_error(tmp_path, NEW_YAML.replace("baseline: old.yaml\n", ""))
    assert "funding.existing_budget: 'baseline' needs a baseline" in msg
    msg = load_error(tmp_path, NEW_YAML.replace("baseline: old.yaml", "baseline: missing.yaml"))
    assert "scenario file 'missing.yaml' not found" in msg
    msg = load_error(tmp_path, NEW_YAML.replace("fte: 1\n", "fte: 1\n      fte_outside_la: 2\n"))
    assert "supply.employed[0].fte_outside_la: 2 FTE outside the LA is more than the 1 FTE employed" in msg


def test_strand_counts_from_analysis(tmp_path, monkeypatch):
    text = NEW_YAML.replace("schools:\n  great: 10", "la_code: 831\nschools: from_analysis")
    write(tmp_path, "old.yaml", BASELINE_YAML)
    path = write(tmp_path, "fa.yaml", text)
    with pytest.raises(ConfigError, match="needs an LA and a year"):
        load_scenario(path)
    with pytest.raises(ConfigError, match="needs an LA code and a year"):
        cap.read_scenario(path)

    from ks2workbook.analyses import strands

    def headline(la_code, year):  # the strand analysis: counts per strand plus "all"
        assert (la_code, year) == (831, 2025)
        return {"below_floor": 15, "great": 2, "all": 17}

    monkeypatch.setattr(strands, "headline", headline)
    s = cap.read_scenario(path, year=2025)
    assert s.schools == {"below_floor": {"all": 15}, "great": {"all": 2}}
    assert s.schools_source == "strand analysis, LA 831, 2025"


def test_shipped_scenarios_load():
    files = sorted(scenarios_dir().glob("*.yaml"))
    assert {"derby_2010_current.yaml", "derby_2010_proposed.yaml"} <= {f.name for f in files}
    for f in files:
        r = cap.evaluate(f)
        assert r.cost_total > 0 and len(r.years) == r.scenario.horizon_years


# --------------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------------


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("capacity")(capacity_command)

    @app.command("other")
    def other() -> None:  # a second command, so "capacity" is a sub-command as in ks2workbook.cli
        pass

    return app


def test_cli_text(cli):
    res = CliRunner().invoke(
        cli, ["capacity", "derby_2010_proposed.yaml", "--vs", str(scenarios_dir() / "derby_2010_current.yaml")]
    )
    assert res.exit_code == 0, res.output
    out = res.output
    for figure in ("£542k", "£423k", "£214k", "£100k", "£156k", "892"):  # Derby Feb 2010, proposed table
        assert figure in out
    assert "By financial year (April to March)" in out
    assert "2011-12" in out and "Compared with: Derby current" in out
    # the published figures, each reproduced (Derby Feb 2010: 12 figures of the proposed table)
    assert "Published figures (" in out and out.count(" yes ") == 12


def test_cli_csv_and_xlsx(cli, tmp_path):
    res = CliRunner().invoke(cli, ["capacity", "derby_2010_current.yaml", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("# Cost table\nline,days,unit,cost,note\n")
    assert "Total,674.0,,328400.0" in res.output  # Derby Feb 2010: 674 days as published, £328k
    out = tmp_path / "cap.xlsx"
    res = CliRunner().invoke(
        cli,
        ["capacity", "derby_2010_proposed.yaml", "--vs", "derby_2010_current.yaml", "-f", "xlsx", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    sheets = pd.read_excel(out, sheet_name=None, engine="openpyxl")
    assert {"Cost table", "Financial years", "Comparison", "Break-even", "Published check"} <= set(sheets)
    years = sheets["Financial years"].set_index("financial year")
    assert k(years.loc["2011-12", "gap at full-year rates"]) == 156  # Derby Feb 2010: after April 2011


def test_cli_errors_are_one_line_with_exit_code_2(cli):
    res = CliRunner().invoke(cli, ["capacity", "derby_2010_current.yaml", "--format", "xlsx"])
    assert res.exit_code == 2 and "--out" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(cli, ["capacity", "no_such.yaml"])
    assert res.exit_code == 2 and "no_such.yaml" in res.output and len(res.output.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [["derby_2010_current.yaml", "--la", "831"], []], ids=["both", "neither"])
def test_cli_scenario_or_council_not_both_nor_neither(cli, args):
    res = CliRunner().invoke(cli, ["capacity", *args])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.output.strip().splitlines() == [
        "error: give either a scenario file or --la CODE (the council's own plan), not both or neither"
    ]


# The council's own plan for Derby (831) from its 2025 results, with the workbook's example allocation
# (plans/allocation_default.yaml: 5 core days, 3 more in strand 1 and at high risk in strands 2 and 3) and
# example prices (plans/prices_example_2026.yaml). Measured on the shipped data: 2 schools in strand 1, 16 in
# strand 2 and 4 in strand 3 (all high risk), 33 in strand 4, 5 in strand 5 -> 2*8 + 16*8 + 4*8 + 33*5 + 5*5 =
# 366 days; 1.1 FTE employed gives 176 days, 190 are bought at £600; the full year costs 1.1 * £83,439.88 +
# 190 * £600 + 0.138 * £95,824.88 = £219,007.70; from 1 September, 2025-26 carries 7 months: £127,754.49.
PLAN_DAYS, PLAN_COST = 366, 219_007.70


def test_cli_council_plan(cli):
    res = CliRunner().invoke(cli, ["capacity", "--la", "831"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert out.startswith("Derby: plan from the 2025 results\n")
    assert "Improvement adviser days: needed 366 (allocation by strand), supplied 366" in out
    assert "By financial year (April to March)" in out
    years = out.split("By financial year (April to March)\n", 1)[1].splitlines()
    assert years[1].split() == ["2025-26", "7", "£128k"] and years[2].split() == ["2026-27", "12", "£219k"]
    assert "Bought-in adviser days  190     £600 a day £114k" in out


def test_cli_council_plan_csv_clusters_add_up(cli):
    res = CliRunner().invoke(cli, ["capacity", "--la", "831", "--format", "csv"])
    assert res.exit_code == 0, res.output
    block = res.output.split("# Clusters\n", 1)[1]
    clusters = pd.read_csv(io.StringIO(block)).set_index("cluster")
    whole = clusters.loc["All schools"]
    assert whole["schools"] == 60 and whole["days_needed"] == PLAN_DAYS
    # Derby 2025: 2 schools in strand 1 (below the floor or in an Ofsted category), 60 in the five strands.
    assert whole[list(STRANDS)].sum() == whole["schools"]
    assert whole["below_floor"] == 2


# --------------------------------------------------------------------------------------------------------
# Sliders (analyses.capacity.apply_sliders)
# --------------------------------------------------------------------------------------------------------


def test_slider_values(proposed):
    s = proposed.scenario
    same = cap.evaluate(cap.apply_sliders(s, {"day_rate": 425, "fte": 4, "supplement": 8000, "core": 5}))
    assert same.cost_total == pytest.approx(proposed.cost_total)  # the sliders start at the file's values
    r = cap.evaluate(cap.apply_sliders(s, {"day_rate": 500, "fte": 5, "supplement": 0, "core": 6}))
    # 5 FTE * 160 = 800 employed days; external days fall by 160 to 92 so supply stays at 892
    assert r.days_supplied == 892
    ext = r.lines.set_index("kind").loc["external"]
    assert ext["days"] == 92 and ext["cost"] == 92 * 500
    # no supplement on the SIPs nor on the manager (who was on the same £8k), so no supplement line
    assert "supplement" not in set(r.lines["kind"])
    assert r.cost_total == 5 * 79_000 + 92 * 500 + 79_000
    assert r.days_needed == proposed.days_needed + 56  # one more core day for each of 56 schools
    filled = cap.evaluate(cap.apply_sliders(s, {"fill": True, "day_rate": 425, "fte": 4}))
    assert filled.balance == 0 and filled.days_supplied == proposed.days_needed
    extra = cap.evaluate(cap.apply_sliders(s, {"extra:below_floor:all": 20.0}))
    assert extra.days_needed == proposed.days_needed - 15 * 5  # 15 below-floor schools, 5 days fewer each


# --------------------------------------------------------------------------------------------------------
# The capacity report's views (views.capacity)
# --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def derby_facts():
    from ks2workbook.analyses import pack

    facts = pack.facts(pack.define(la_code=831))
    assert facts.plan.ok, facts.plan.reason
    return facts


@pytest.fixture(scope="module")
def plan(derby_facts) -> cap.CapacityResult:
    return derby_facts.plan["plan"].result


@pytest.fixture
def agg():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def text_of(items) -> str:
    """The words of a section's HTML pieces, tags stripped (figures left out)."""
    import html
    import re

    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(i))) for i in items if isinstance(i, str))
    return " ".join(re.sub(r" ([.,:;)])", r"\1", " ".join(text.split())).split())


def test_days_word_and_money(proposed, plan):
    assert capview.days_word(proposed) == "SIP days"  # the 2010 word, from the scenario
    assert capview.days_word(plan) == "improvement adviser days"  # today's, from the allocation file
    assert capview.money(542_100) == "£542k" and capview.money(5_432) == "£5.4k" and capview.money(-11_500) == "-£12k"


def test_tables_in_the_council_form(proposed, current):
    cost = capview.table_cost(proposed).set_index("Line")
    # Derby Feb 2010, proposed: 640 days £316k; 252 days £107k; sub-total 892 £423k; total £542k; 214; 100; 156.
    assert cost.loc["LA-employed SIPs (4 FTE)", ["Days", "Cost"]].tolist() == ["640", "£316k"]
    assert cost.loc["External SIPs", ["Days", "Unit", "Cost"]].tolist() == ["252", "£425 a day", "£107k"]
    assert cost.loc["Sub-total", ["Days", "Cost"]].tolist() == ["892", "£423k"]
    assert cost.loc["Total", "Days"] == "" and cost.loc["Total", "Cost"] == "£542k"
    assert [
        cost.loc[line, "Cost"] for line in ("Additional cost", "Shortfall, 2010-11", "Shortfall, from 2011-12")
    ] == [
        "£214k",
        "£100k",
        "£156k",
    ]
    years = capview.table_years(proposed)
    # 2010-11: 7 months, £453,058 in year against £442,400 of funding: an in-year gap of £10,658 (worked above).
    assert years.iloc[0].tolist() == ["2010-11", "7", "£453k", "£442k", "£11k", "£100k"]
    assert years.iloc[1].tolist() == ["2011-12", "12", "£542k", "£386k", "£156k", "£156k"]
    assert list(capview.table_years(proposed, budget_given=False).columns) == [
        "Financial year",
        "Months of the plan",
        "Cost in year",
    ]
    check = capview.table_check(current).set_index("Figure")
    # Derby Feb 2010, current: 674 days as published, 712 from the lines; every other figure agrees.
    assert check.loc["Days, total", ["Published", "Worked out here", "Agrees"]].tolist() == ["674", "712", "no"]
    assert (check.drop(index="Days, total")["Agrees"] == "yes").all()
    assert check.loc["Cost, total", ["Published", "Worked out here"]].tolist() == ["£328.0k", "£328.4k"]
    assert (capview.table_check(proposed)["Agrees"] == "yes").sum() == 12
    demand = capview.table_demand(proposed)
    # Derby Feb 2010: 15 below-floor schools at up to 30 days (450); 12 priority schools at 12 days (144).
    assert demand.iloc[0].tolist() == ["Below floor and/or in an Ofsted category", "every school", "15", "30", "450"]
    assert demand.iloc[1].tolist() == ["Needing to maximise progress", "high risk", "12", "12", "144"]


def test_plot_days_draws_needed_beside_supplied(proposed, agg):
    fig = capview.plot_days(proposed, "Derby: SIP days a year")
    ax = fig.axes[0]
    bars: dict[int, list[float]] = {0: [], 1: []}
    for patch in ax.patches:
        bars[round(patch.get_x() + patch.get_width() / 2)].append(patch.get_height())
    # Needed, by strand (Derby Feb 2010 allocation): 450, 144 + 30, 70, 35, 10 = 739; supplied: 640 + 252 = 892.
    assert bars[0] == pytest.approx([450, 174, 70, 35, 10]) and sum(bars[0]) == 739
    assert bars[1] == pytest.approx([640, 252])
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= 892
    assert [t.get_text() for t in ax.get_xticklabels()] == ["needed", "supplied"]
    assert ax.get_ylabel().lower() == "sip days a year"  # the scenario's own word for the days
    assert {t.get_text() for t in ax.texts} >= {"739", "892"}  # the totals labelled on the bars


def test_the_days_keep_their_capitals(proposed, cli, agg):
    assert capview.plot_days(proposed, "Derby").axes[0].get_ylabel() == "SIP days a year"
    res = CliRunner().invoke(cli, ["capacity", "derby_2010_proposed.yaml"])
    assert "SIP days: needed 739 (allocation by strand), supplied 892" in res.output


def test_plot_years_draws_cost_funding_and_gap(proposed, plan, agg):
    fig = capview.plot_years(proposed, "Derby: by financial year")
    ax = fig.axes[0]
    cost, existing, growth, grant = ax.containers
    assert [b.get_height() for b in cost] == pytest.approx(list(proposed.years["cost"]))
    # Funding stacked by line (Derby Feb 2010): existing £328.4k, CYP budget pressure £58k, WCPP grant £56k in
    # 2010-11 only (it ends in April 2011).
    assert [b.get_height() for b in existing] == pytest.approx([328_400] * 3)
    assert [b.get_height() for b in growth] == pytest.approx([58_000] * 3)
    assert [b.get_height() for b in grant] == pytest.approx([56_000, 0, 0])
    assert [b.get_y() for b in grant] == pytest.approx([386_400] * 3)  # on top of the other two
    assert [t.get_text() for t in ax.texts] == ["gap £11k", "gap £156k", "gap £156k"]
    assert ax.get_ylim()[0] == 0
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2010-11", "2011-12", "2012-13"]
    # No budget given (the council's plan with the example prices): the cost alone, each bar labelled by it.
    ax = capview.plot_years(plan, "Derby: the plan", budget_given=False).axes[0]
    (cost,) = ax.containers
    assert [b.get_height() for b in cost] == pytest.approx([PLAN_COST * 7 / 12, PLAN_COST, PLAN_COST])
    assert [t.get_text() for t in ax.texts] == ["£128k", "£219k", "£219k"] and ax.get_ylim()[0] == 0


def _break_even_is_consistent(words: str) -> bool:
    """The sentence's verdict agrees with its own figures: "cheaper ... while the day rate stays above £X" only
    when the rate bought in is above £X, "dearer ... below £X" only when it is below."""
    import re

    m = re.search(
        r"against £([\d,]+) for a day bought in: employing is (cheaper|dearer) per day while the day rate stays "
        r"(above|below) £([\d,]+)\.",
        words,
    )
    assert m, words
    rate, verdict, side, line = float(m[1].replace(",", "")), m[2], m[3], float(m[4].replace(",", ""))
    return (verdict == "cheaper") == (side == "above") and (rate > line if side == "above" else rate < line)


def test_break_even_words_agree_with_their_figures(proposed, plan):
    assert _break_even_is_consistent(capview.break_even_words(proposed))  # £425 against £680 (Derby 2010)
    # The council's plan: £597 an employed day (£83,439.88 * 1.1 + £13,223.83 of management, over 176 days)
    # against £600 bought in.
    words = capview.break_even_words(plan)
    assert "costs £597 with the management posts shared in, against £600" in words
    assert _break_even_is_consistent(words)


def test_break_even_words_at_a_day_rate_between_the_two_break_evens(proposed):
    # Derby 2010 at £600 a day bought in: £543.75 an employed day on salary and supplement, £679.69 with the
    # manager shared in; the sentence must not call employing cheaper "above £680" at £600.
    r = cap.evaluate(cap.apply_sliders(proposed.scenario, {"day_rate": 600}), baseline=proposed.baseline)
    assert _break_even_is_consistent(capview.break_even_words(r))


@pytest.fixture
def shown(monkeypatch):
    """What the slider panel displays (IPython's display, recorded: outside a kernel nothing else sees it)."""
    pytest.importorskip("ipywidgets")
    import IPython.display

    seen: list = []
    monkeypatch.setattr(IPython.display, "display", lambda *items, **_: seen.extend(items))
    return seen


def _panel_output(seen: list) -> tuple[str, object]:
    """The last table (HTML) and figure the panel displayed."""
    html = [item.data for item in seen if hasattr(item, "data") and isinstance(item.data, str)]
    figures = [item for item in seen if hasattr(item, "savefig")]
    assert html and figures, f"the panel displayed nothing: {seen}"
    return html[-1], figures[-1]


def test_interactive_panel_recomputes_on_a_slider_change(plan, shown, agg):
    panel = capview.interactive_panel(plan)
    controls = {getattr(c, "description", ""): c for c in panel.children if hasattr(c, "value")}
    assert list(controls) == [
        "Day rate bought in (£)",
        "buy the days the schools need beyond the employed",
        "Employed advisers (FTE)",
        "Core days per school",
        "Extra days: Below floor and/or in an Ofsted category",
        "Extra days: Needing to maximise progress (high risk)",
        "Extra days: Inconsistent results (high risk)",
    ]
    # The sliders start at the plan's own figures (the example prices and allocation).
    assert [c.value for c in controls.values()] == [600, True, 1.1, 5.0, 3.0, 3.0, 3.0]
    table, fig = _panel_output(shown)
    assert "£219k" in table  # the plan's full-year total
    (cost,) = fig.axes[0].containers
    assert [b.get_height() for b in cost] == pytest.approx([PLAN_COST * 7 / 12, PLAN_COST, PLAN_COST])
    # £700 a day for the 190 days bought in: £19,000 more, £238,007.70 a full year.
    shown.clear()
    controls["Day rate bought in (£)"].value = 700
    table, fig = _panel_output(shown)
    assert "£700 a day" in table and "£238k" in table and "£219k" not in table
    (cost,) = fig.axes[0].containers
    assert [b.get_height() for b in cost] == pytest.approx([238_007.70 * 7 / 12, 238_007.70, 238_007.70])
    assert fig.axes[0].get_ylim()[0] == 0 and [t.get_text() for t in fig.axes[0].texts] == ["£139k", "£238k", "£238k"]
    # One more core day for each of the 60 schools: 426 days, 250 bought at £700 -> £280,007.70 a full year.
    shown.clear()
    controls["Core days per school"].value = 6.0
    table, fig = _panel_output(shown)
    assert "426" in table and "£280k" in table
    assert fig.axes[0].containers[0][1].get_height() == pytest.approx(280_007.70)


def test_interactive_panel_opens_at_the_scenarios_own_figures(proposed, shown, agg):
    panel = capview.interactive_panel(proposed)
    descriptions = [getattr(c, "description", "") for c in panel.children]
    assert "Extra days: Below floor and/or in an Ofsted category" in descriptions  # 25 for every such school
    assert "Extra days: Needing to maximise progress (high risk)" in descriptions  # 7 at high risk
    table, fig = _panel_output(shown)
    # Derby Feb 2010, proposed: 252 days bought at £425, £542k in all.
    assert "£542k" in table
    assert fig.axes[0].containers[0][1].get_height() == pytest.approx(proposed.cost_total)


def test_sections_of_the_capacity_report(derby_facts, agg):
    facts = derby_facts
    plan_part = capview.section_plan(facts)
    words = text_of(plan_part)
    assert words.split()[:2] == ["The", "plan"]  # the heading first
    # The plan in one sentence, its figures marked as the pack's shared facts (the cabinet summary quotes them).
    assert 'data-fact="plan_days">366<' in "".join(plan_part) and 'data-fact="plan_cost">£219k<' in "".join(plan_part)
    assert "needs 366 improvement adviser days a year for 60 schools and costs £219k a full year" in words
    assert "2025-26 carries 7 months of it: £128k" in words
    assert "No budget has been given for the plan" in words  # the example prices carry no budget
    demand = capview.section_demand(facts)
    assert "“Good, capable of becoming great” (165 days of 366)" in text_of(demand)  # 33 schools * 5 days
    figures = [item for item in demand if hasattr(item, "savefig")]
    assert len(figures) == 1 and figures[0].axes[0].get_ylim()[0] == 0
    cost = capview.section_cost(facts)
    assert "By financial year" in text_of(cost) and "employing is cheaper per day" in text_of(cost)
    (fig,) = [item for item in cost if hasattr(item, "savefig")]
    assert [b.get_height() for b in fig.axes[0].containers[0]] == pytest.approx(list(plan_years_cost()))
    # No worked example named for this pack: the section says so (and which examples the workbook ships).
    assert "No worked example was named for this pack" in text_of(capview.section_examples(facts))
    assert "set interactive = True" in text_of(capview.section_sliders(facts, False))


def plan_years_cost() -> list[float]:
    return [PLAN_COST * 7 / 12, PLAN_COST, PLAN_COST]


def test_worked_example_named_for_the_pack(agg):
    from ks2workbook.analyses import pack

    facts = pack.facts(pack.define(la_code=831, scenario_files=["derby_2010_proposed.yaml"]))
    items = capview.section_examples(facts)
    words = text_of(items)
    assert "Derby proposed" in words
    # Derby Feb 2010: every one of the 12 published figures of the proposed table is reproduced.
    assert words.count(" yes ") == 12 and " no " not in words
    assert "£542.0k" in words and "£542.1k" in words  # published, and worked out here
