"""Capacity and cost scenarios (issue #7).

Published figures are from Derby City Council's cabinet report on the World Class Primary Programme, February
2010 (DOMAIN.md section 5): "Current, to Sept 2010" and "Proposed, from Sept 2010" tables, in £k.
"""

from __future__ import annotations

import datetime as dt
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
    # Derby Feb 2010, current: 264 + 448 = 712, yet the total is printed as 674 (DOMAIN.md section 5).
    assert current.days_supplied == 712
    check = cap.published_check(current).set_index("figure")
    assert not check.loc["SIP days, total", "agrees"]
    assert check.loc["SIP days, total", "difference"] == 712 - 674
    assert "264 + 448 = 712" in check.loc["SIP days, total", "comment"]
    # every other published figure of the current table agrees (days exactly, money to £1k)
    assert check.drop(index="SIP days, total")["agrees"].all()
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
    # Allocation (5 core days; up to 30 for below-floor schools; 12 for 12 priority schools; strand counts
    # 15/18/14/7/2 from DOMAIN.md section 3): 15*30 + 12*12 + 6*5 + 14*5 + 7*5 + 2*5 = 739 days.
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
    assert "no market supplement keeps employing cheaper" in capview.break_even_summary(proposed)


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
    assert "Cost, funding and gap per financial year (April-March)" in out
    assert "2011-12" in out and "Compared with: Derby current" in out


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


def test_interactive_panel_builds(proposed):
    pytest.importorskip("ipywidgets")
    import matplotlib.pyplot as plt

    panel = capview.interactive_panel(proposed)
    descriptions = [getattr(c, "description", "") for c in panel.children]
    assert "External day rate (£)" in descriptions and "Employed SIPs (FTE)" in descriptions
    assert any(d.startswith("Extra days: below_floor") for d in descriptions)
    plt.close("all")


def test_charts_draw_the_data(proposed, current):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = capview.plot_financial_years(proposed)
    cost_bars = [p.get_height() for p in ax.containers[0]]
    assert cost_bars == pytest.approx(list(proposed.years["cost"]))
    ax = capview.plot_days([current, proposed])
    assert ax.get_ylabel() == "SIP days a year"
    ax = capview.plot_tornado(cap.sensitivity(proposed))
    assert ax.get_yticklabels()[-1].get_text() == "LA-employed SIPs: salary per FTE"  # largest on top
    capview.plot_break_even(proposed)
    plt.close("all")


def test_readings_under_tables(proposed, current):
    # Derby Feb 2010: shortfall 100 at full-year rates in 2010-11; 156 after April 2011
    assert capview.say_years(proposed) == (
        "In 2010-11 (7 months under this scenario) the in-year gap is £11k against £100k at full-year rates; "
        "by 2012-13 it is £156k a year."
    )
    assert "all 12 published figures are reproduced" in capview.say_check(proposed)
    assert "264 + 448 = 712, not 674" in capview.say_check(current)
    assert "adds £214k a year (£125k in 2010-11, a part year)" in capview.say_compare(proposed, current)
    assert capview.say_sensitivity(cap.sensitivity(proposed)).count("swing") == 3
