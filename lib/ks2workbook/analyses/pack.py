"""One set of facts per report pack: computed once per LA and year, read by every notebook of the pack.

Why: a figure that appears in two reports must be the same figure. Each notebook of a pack calls
:func:`define` with the pack's parameters (the same ones, passed once to ``ks2workbook report``) and
:func:`facts` with the definition; the facts are computed once per kernel and shared. Every part of the facts
either holds its figures or says in words why it cannot (``reason``): a council with one school, a year with no
floor, a council created since the data began. Nothing here formats for people; :mod:`ks2workbook.views` does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import NoDataError, UnknownAreaError, WorkbookError
from ..core.paths import council_file, project_root, scenarios_dir
from ..core.world import NO_TEST_YEARS
from ..data import areas, cache, coverage, tables
from ..rules import floor as floor_rules
from ..rules import indicators as indicator_sets
from ..rules import pack as pack_rules
from ..rules import plan as plan_rules
from ..rules.indicators import headline as headline_indicator
from ..rules.pack import PackDefinition
from . import accountability, capacity, floor, neighbours, plan, risk, strands, support, trends

# ------------------------------------------------------------------------------------------------------------
# The definition: every input checked before anything is computed
# ------------------------------------------------------------------------------------------------------------


def current_la(query: int | str) -> areas.Area:
    """The LA for a code or name, which must exist now: an ended council names the councils that replaced it."""
    area = areas.require_la(query)
    if not bool(tables.load("areas").set_index("la_code").loc[area.code, "current"]):
        succ = neighbours.successors().get(area.code, ())
        names = areas.names()
        heirs = " and ".join(f"{names.get(c, c)} ({c})" for c in succ)
        raise UnknownAreaError(
            f"{area.label} no longer exists" + (f"; its schools are now in {heirs}" if heirs else "") + "."
        )
    return area


def _number(
    name: str, value: Any, low: float, high: float, *, inclusive_low: bool = False, inclusive_high: bool = True
) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise WorkbookError(f"{name} must be a number (got {str(value)[:40]!r})") from None
    ok_low = number >= low if inclusive_low else number > low
    ok_high = number <= high if inclusive_high else number < high
    if math.isnan(number) or not ok_low or not ok_high:
        lo = "at least" if inclusive_low else "above"
        hi = "at most" if inclusive_high else "below"
        raise WorkbookError(f"{name} must be {lo} {low:g} and {hi} {high:g} (got {value})")
    return number


def _year(value: Any) -> int:
    years = coverage.ks2_years()
    if value in (None, ""):
        return years[-1]
    try:
        year = int(str(value).strip())
    except ValueError:
        raise WorkbookError(f"year must be a year such as {years[-1]} (got {str(value)[:20]!r})") from None
    if year not in years:
        gap = f" (no KS2 tests were sat in {' and '.join(map(str, NO_TEST_YEARS))})" if year in NO_TEST_YEARS else ""
        raise NoDataError(f"no KS2 results for {year}{gap}; years with results: {coverage.describe(years)}")
    return year


def _file(value: Any, kind: str, folder: str) -> str:
    if value in (None, ""):
        return ""
    found = council_file(str(value), kind, (project_root() / folder,))
    return str(found)  # resolved: a kernel or worker finds it wherever it runs (reports show names, not paths)


def _as_of(value: Any) -> str:
    latest = accountability.default_as_of()
    if value in (None, ""):
        return latest.date().isoformat()
    try:
        when = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise WorkbookError(f"as_of must be a date written 2026-05-06 (got {str(value)[:20]!r})") from None
    if pd.Timestamp(when) > latest:
        raise WorkbookError(f"as_of {when} is after the latest inspection held ({latest:%d %B %Y})")
    return when.isoformat()


def define(
    la_code: int | str = "",
    year: int | str | None = None,
    local_rule_file: str | None = "",
    threshold: float | str | None = None,
    at_risk_chance: float | str | None = None,
    strand_rules_file: str | None = "",
    frameworks_file: str | None = "",
    as_of: str | None = "",
    sn_version: int | str | None = None,
    custom_neighbours: list[int] | tuple[int, ...] | None = (),
    national_change: float | str | None = None,
    allocation_file: str | None = "",
    prices_file: str | None = "",
    clusters_file: str | None = "",
    support_rules_file: str | None = "",
    scenario_files: list[str] | tuple[str, ...] | None = (),
) -> PackDefinition:
    """The pack's definition from its parameters (as the command line or a notebook gives them), every one
    checked: a current LA, a year with results, thresholds in range, council files inside the workbook and
    valid. Raises :class:`WorkbookError` with one line naming what is wrong; nothing is computed first."""
    area = current_la(la_code)
    year = _year(year)
    local = _file(local_rule_file, "floor rule file", "rules")
    if local:
        floor_rules.read_rule_file(local)  # a bad file is refused now, naming its line
    defaults = pack_rules.defaults()
    bar, basis = (
        (_number("threshold", threshold, 0, 100), "set for this pack")
        if threshold not in (None, "")
        else _default_bar(year, local)
    )
    chance = (
        defaults.at_risk_chance if at_risk_chance in (None, "") else _number("at_risk_chance", at_risk_chance, 0, 1)
    )
    if chance >= 1:
        raise WorkbookError("at_risk_chance must be above 0 and below 1 (a chance, e.g. 0.5)")
    strand_file = _file(strand_rules_file, "strand rule file", "rules")
    strands.load_rules(strand_file or None)
    mapping = _file(frameworks_file, "framework mapping file", "rules")
    accountability.rules.frameworks(mapping or None)
    editions = neighbours.editions()
    if sn_version in (None, ""):
        edition = editions[0]
    else:
        try:
            edition = int(str(sn_version))
        except ValueError:
            edition = -1
        if edition not in editions:
            raise WorkbookError(f"sn_version must be one of the editions held: {', '.join(map(str, editions))}")
    custom = _custom_neighbours(custom_neighbours, area.code)
    change = (
        None
        if national_change in (None, "")
        else _number("national_change", national_change, -20, 20, inclusive_low=True)
    )
    files = [_file(f, "scenario file", "scenarios") for f in (scenario_files or ())]
    allocation = _file(allocation_file or defaults.allocation_file, "allocation file", "plans")
    prices = _file(prices_file or defaults.prices_file, "price file", "plans")
    clusters = _file(clusters_file, "cluster file", "plans")
    support_file = _file(support_rules_file, "support rule file", "rules")
    plan_rules.allocation(allocation), plan_rules.prices(prices), plan_rules.support_rules(support_file or None)
    if clusters and plan_rules.clusters(clusters).la_code != area.code:
        other = areas.resolve(plan_rules.clusters(clusters).la_code)
        raise WorkbookError(f"the cluster file {Path(clusters).name} is for {other.label}, not {area.label}")
    return PackDefinition(
        la_code=area.code,
        year=year,
        local_rule_file=local,
        threshold=bar,
        threshold_basis=basis,
        at_risk_chance=chance,
        medium_risk_chance=min(defaults.medium_risk_chance, chance / 2),
        strand_rules_file=strand_file,
        frameworks_file=mapping,
        as_of=_as_of(as_of),
        sn_version=edition,
        custom_neighbours=custom,
        national_change=change,
        allocation_file=allocation,
        prices_file=prices,
        clusters_file=clusters,
        support_rules_file=support_file,
        scenario_files=tuple(files),
    )


def _custom_neighbours(value: Any, la_code: int) -> tuple[int, ...]:
    """A council's own list of comparison councils: current LA codes, not itself, at most 20."""
    if value in (None, "", [], ()):
        return ()
    if isinstance(value, str):
        value = [v for v in value.replace(";", ",").split(",") if v.strip()]
    if not isinstance(value, list | tuple) or len(value) > 20:
        raise WorkbookError("custom_neighbours must be a list of at most 20 LA codes")
    codes = []
    for v in value:
        code = current_la(v).code
        if code == la_code:
            raise WorkbookError("custom_neighbours must not include the council itself")
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def _default_bar(year: int, local_rule_file: str) -> tuple[float, str]:
    """The bar where none is set: the pack's floor's attainment test if it tests RWM, else the last national
    floor's (65%)."""
    try:
        applied = floor_rules.rule_for(year, local_rule_file or None, coverage.attainment_years())
        if applied.rule.attainment is not None and applied.rule.attainment.measure == "rwm_exp":
            return float(applied.rule.attainment.below), f"the attainment test of the {applied.kind} floor of {year}"
    except NoDataError:
        pass
    rule = floor_rules.latest_national_rule()
    return float(rule.attainment.below), f"the attainment test of the last national floor ({rule.year})"


# ------------------------------------------------------------------------------------------------------------
# The facts
# ------------------------------------------------------------------------------------------------------------


@dataclass
class Part:
    """One part of the facts: its figures, or in ``reason`` why there are none."""

    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


#: Seconds this process spent computing (or reading from another kernel) each part of the facts (for the
#: benchmarks' breakdown of a pack's time).
PART_SECONDS: dict[str, float] = {}

#: The folder through which the kernels of one council's run share the parts of its facts (:func:`share_parts`).
_SHARED: Path | None = None


def share_parts(folder: str | None) -> None:
    """Share the parts of the facts with the other kernels of one council's run through ``folder``, a private
    temporary folder the run makes and removes (None: stop sharing). A part is read from it when another kernel
    has already computed it for the same definition and data, and a part computed here is written to it.

    Why: one council's pack runs on two kernels, and the cabinet summary on one shows every part while the other
    kernel's pages show most of them again: each part was computed twice, about 2 s of the pack's CPU. Sharing is
    only ever a saving: a part that cannot be written or read is computed, as it would have been."""
    global _SHARED
    _SHARED = Path(folder) if folder else None


def _shared_file(name: str, definition: PackDefinition, data_version: tuple) -> Path | None:
    """The file of one part in the shared folder: named by everything the part is computed from (the part, the
    pack's settled definition, with its council files' resolved paths, and the tables' version), so a kernel never
    reads a part computed for another definition or another version of the data."""
    if _SHARED is None:
        return None
    key = hashlib.sha256(repr((name, definition.key, data_version)).encode()).hexdigest()[:32]
    return _SHARED / f"{name}-{key}.pickle"


def _read_shared(file: Path | None) -> Part | None:
    if file is None or not file.is_file():
        return None
    try:
        held, part = cache.read_pickle(file)
    except Exception:  # noqa: BLE001 - sharing is only a saving: a part not read is computed
        return None
    return part if held and isinstance(part, Part) else None


def _write_shared(file: Path | None, part: Part) -> None:
    if file is None:
        return
    try:
        cache.write_pickle(file, part, create=False)  # a folder the run has removed stays removed
    except Exception:  # noqa: BLE001 - sharing is only a saving: a part not written is computed by the other kernel
        pass


class _LazyPart(cached_property):
    """A part of :class:`PackFacts`, computed when first asked for by this module's function of its name (the part
    ``risk`` by ``_risk``, looked up then) from the definition and the parts it is ``built_on``, and then kept."""

    def __init__(self, *built_on: str) -> None:
        self.built_on = built_on
        super().__init__(self._compute_for)

    def _compute_for(self, facts: PackFacts) -> Part:
        compute = globals()[f"_{self.attrname}"]
        return facts._compute(self.attrname, compute, *(getattr(facts, b) for b in self.built_on))


class PackFacts:
    """The pack's facts for one definition. Each part is computed the first time a page asks for it and then
    kept: every page that shows a part shows the same figures, and a kernel that runs only some of the pack's
    notebooks (the second kernel of a one-council run, a single notebook, the JupyterLab user on one page)
    computes only their parts. All of them read the one version of the data the facts were made for."""

    def __init__(self, definition: PackDefinition, data_version: tuple) -> None:
        self.definition = definition
        self.area = areas.resolve(definition.la_code)
        self.la_years = coverage.la_years(definition.la_code)
        self._data_version = data_version

    @property
    def year(self) -> int:
        return self.definition.year

    def complete(self) -> PackFacts:
        """Every part computed (what ``make data`` does for the default pack, to fill the national store)."""
        for name in PARTS:
            getattr(self, name)
        return self

    def _compute(self, name: str, compute, *args) -> Part:
        start = time.perf_counter()
        with tables.pinned():
            if tables.tables_version(*tables.TABLES) != self._data_version:
                raise WorkbookError(
                    "the data tables were rebuilt while this pack was being made; run the pack (or the notebook) "
                    "again so that every page reads the same data"
                )
            shared = _shared_file(name, self.definition, self._data_version)
            part = _read_shared(shared)
            if part is None:
                part = _part(compute, self.definition, *args)
                _write_shared(shared, part)
        PART_SECONDS[name] = PART_SECONDS.get(name, 0.0) + time.perf_counter() - start
        return part

    headline = _LazyPart()
    trends = _LazyPart()
    neighbours = _LazyPart()
    floor = _LazyPart()
    floor_history = _LazyPart()
    risk = _LazyPart()
    strands = _LazyPart()
    accountability = _LazyPart()
    data = _LazyPart()
    plan = _LazyPart("strands", "risk", "accountability")


#: The parts' names, as declared.
PARTS = tuple(name for name, value in vars(PackFacts).items() if isinstance(value, _LazyPart))


def _part(compute, *args) -> Part:
    """Run one part; a NoDataError (nothing to show for this LA or year) becomes its reason, in words."""
    try:
        return Part(compute(*args))
    except NoDataError as exc:
        return Part(reason=str(exc))


def _headline(d: PackDefinition) -> dict[str, Any]:
    code = headline_indicator()
    if d.year not in coverage.indicator_years(code):
        raise NoDataError(f"the DfE has not published LA results for {d.year} yet")
    created = next((c for c in tables.la_changes() if d.la_code in c["successors"]), None)
    if created is not None and dt.date.fromisoformat(str(created["date"])).year > d.year:
        names = areas.names()
        old = " and ".join(f"{names.get(c, c)} ({c})" for c in created["ended"])
        raise NoDataError(
            f"{areas.resolve(d.la_code).name} was created in {dt.date.fromisoformat(str(created['date'])):%B %Y}: "
            f"the DfE published its schools' {d.year} results under {old}"
        )
    head = neighbours.headline(d.la_code, d.year, code, d.sn_version)
    if head["value"] != head["value"]:  # NaN: the LA's own figure is suppressed
        schools = tables.load("school_results").query("la_code_now == @d.la_code and year == @d.year")
        raise NoDataError(
            f"the DfE does not publish a council figure for {areas.resolve(d.la_code).name} in {d.year}: with "
            f"{len(schools)} school{'s' if len(schools) != 1 else ''} its pupils are too few to publish without "
            "identifying them"
        )
    return head


def _floor(d: PackDefinition) -> dict[str, Any]:
    applied = floor_rules.rule_for(d.year, d.local_rule_file or None, coverage.attainment_years())
    if not applied.rule.evaluable:
        raise NoDataError(f"the {d.year} floor uses measures no school file we hold has")
    if d.year not in coverage.attainment_years(national=False):
        raise NoDataError(f"no school results for {d.year} to judge the floor by")
    defaults = pack_rules.defaults()
    head = floor.headline(d.la_code, d.year, d.local_rule_file or None)
    return {
        "rule": applied,
        "head": head,
        "schools": floor.school_floor(d.year, d.la_code, d.local_rule_file or None),
        "below": floor.below_list(d.year, d.la_code, d.local_rule_file or None),
        "near": floor.near_miss_list(d.year, d.la_code, d.local_rule_file or None),
        "persistent": floor.persistence(
            floor.floor_history(d.la_code, d.local_rule_file or None), d.year, 3, rule_checked=True
        ),
        "league": floor.league(d.year, d.la_code, d.local_rule_file or None),
        "near_points": defaults.near_miss_points,
    }


def _floor_history(d: PackDefinition) -> dict[str, Any]:
    """Schools below the floor in every year with a rule and school results (the pack's local rule included),
    up to the pack's year."""
    counts = floor.counts_by_year(d.la_code, d.local_rule_file or None)
    counts = counts[counts["year"] <= d.year]
    if counts.empty:
        raise NoDataError("no year up to this one has both a floor rule and school results")
    return {"counts": counts}


def _risk(d: PackDefinition) -> dict[str, Any]:
    table = risk.school_risk(d.la_code, d.year, d.threshold, d.national_change)
    cut = d.at_risk_chance
    at_risk = table[table["p_below_next"] >= cut]
    expected = risk.expected_below(d.la_code, d.year, d.threshold)
    model = risk.model_for(d.year, d.threshold)
    levels = pd.cut(
        table["p_below_next"],
        [-0.01, d.medium_risk_chance, cut, 1.01],
        right=False,
        labels=["low", "medium", "high"],
    ).astype(str)
    return {
        "table": table.assign(risk_level=levels.to_numpy()),
        "at_risk": at_risk,
        "above_at_risk": at_risk[~at_risk["below_now"]],
        "stay_below": at_risk[at_risk["below_now"]],
        "below_now": int(table["below_now"].sum()),
        "schools": len(table),
        "expected": expected,
        "scenarios": risk.national_scenarios(d.la_code, d.year, d.threshold),
        "known_changes": risk.known_changes(d.year),
        "trend": risk.national_trend(d.year),
        "model": model,
        "unlinked": risk.unlinked(d.la_code, d.year),
        "backtest": risk.backtest_summary(d.threshold),
        "pooled": risk.pooled_forecast_calibration(d.threshold),
    }


def _strands(d: PackDefinition) -> dict[str, Any]:
    args = (d.strand_rules_file or None, d.local_rule_file or None, d.frameworks_file or None)
    table = strands.strand_table(d.la_code, d.year, *args)
    assigned = strands.assign(d.la_code, d.year, *args)
    _, basis = strands.below_floor_flags(d.year, pd.Index([], dtype="int64"), d.local_rule_file or None)
    return {
        "table": table,
        "assigned": assigned,
        "rules": strands.load_rules(d.strand_rules_file or None),
        "floor_basis": basis,
        "ofsted_date": strands.ofsted_date(d.year),
    }


def _accountability(d: PackDefinition) -> dict[str, Any]:
    mapping = d.frameworks_file
    status = accountability.stuck(d.as_of, mapping)
    mine = status[status["la_code_now"] == d.la_code]
    out = {
        "as_of": d.as_of,
        "mapping": accountability.rules.frameworks(mapping or None),
        "stuck": mine[mine["status"].astype(str).isin([accountability.STUCK, accountability.POSSIBLY])],
        "in_category": accountability.in_category(d.la_code, d.as_of, mapping),
        "counts": accountability.stuck_counts(d.as_of, d.la_code, mapping),
        "england_counts": accountability.stuck_counts(d.as_of, None, mapping),
        "cards": accountability.card_distribution(d.la_code, frameworks_file=mapping),
        "cards_attention": accountability.cards_needing_attention(d.la_code, mapping),
        "latest": accountability.latest_judgements(d.la_code, frameworks_file=mapping),
        "coasting_ofsted": accountability.coasting_ofsted(d.as_of, mapping).query("la_code_now == @d.la_code"),
    }
    try:
        out["coasting_data"] = accountability.coasting_counts(d.year, d.la_code)
        out["coasting_data_england"] = accountability.coasting_counts(d.year)
    except NoDataError as exc:
        out["coasting_data_reason"] = str(exc)
    return out


def _data(d: PackDefinition) -> dict[str, Any]:
    from . import quality

    results = tables.load("school_results")
    return {
        "quality": quality.quality_summary(results),
        "coverage": quality.la_coverage(results, d.la_code),
        "ks2_years": coverage.ks2_years(),
        "attainment_years": coverage.attainment_years(),
        "progress_years": coverage.progress_years(),
    }


def _trends(d: PackDefinition) -> dict[str, Any]:
    """The LA's results over time against its region, England and its neighbours; subjects; the disadvantaged
    gap; every school's result by year."""
    area = areas.resolve(d.la_code)
    indicators = None  # the shipped table, each series read from its index
    code = headline_indicator()
    years = [y for y in coverage.indicator_years(code) if y <= d.year]
    if not years:
        raise NoDataError(f"no LA results published up to {d.year}")
    first, last = years[0], years[-1]
    return {
        "first_year": first,
        "last_year": last,
        "comparison": trends.comparison_series(indicators, area, code, first, last, d.sn_version),
        "subjects": trends.subject_table(indicators, area, first, last),
        "gap": trends.disadvantaged_gap(indicators, area, first, last),
        "spread": trends.school_spread(tables.load("school_results"), area.code, first, last),
        "disadvantaged_pupils": _disadvantaged_pupils(d),
    }


def _disadvantaged_pupils(d: PackDefinition) -> float:
    """About how many disadvantaged pupils took the tests in the LA in the pack's year: each school's cohort
    (published, last published or estimated) times its share of pupils eligible for free school meals in the last
    six years (census nearest the year). For the small-numbers warning, not a published figure."""
    results, census = tables.load("school_results"), tables.load("census")
    now = results[(results["year"] == d.year) & (results["la_code_now"] == d.la_code)].dropna(subset=["urn"])
    urns = pd.Index(now["urn"].astype("int64").unique(), name="urn")
    if urns.empty:
        return float("nan")
    cohort = risk.cohort_estimate(urns, d.year, results, census, tables.load("schools"))["cohort"]
    held = census[census["urn"].isin(urns) & census["pct_fsm_ever6"].notna()].copy()
    held["dist"] = (held["year"] - d.year).abs()
    share = held.sort_values(["urn", "dist"]).drop_duplicates("urn").set_index("urn")["pct_fsm_ever6"]
    return float((cohort * share.reindex(urns) / 100).sum(min_count=1))


def _neighbours(d: PackDefinition) -> dict[str, Any]:
    """The LA among its statistical neighbours by LAIT's rules, for the pack's year (or each indicator's latest
    year up to it)."""
    code = headline_indicator()
    neighbours.require_rankable_la(d.la_code)
    version: int | str = "custom" if d.custom_neighbours else d.sn_version
    custom = list(d.custom_neighbours) or None
    year = max(y for y in coverage.indicator_years(code) if y <= d.year)
    sets = neighbours.neighbour_sets(d.la_code, "both", custom)
    return {
        "year": year,
        "sets": sets,
        "label": next(iter(neighbours.neighbour_sets(d.la_code, version, custom))),
        "groups": neighbours.neighbour_table(d.la_code, custom=custom),
        "ranking": neighbours.sn_ranking(None, d.la_code, code, year, version, custom),
        "bands": neighbours.rank_band_table(
            None, d.la_code, neighbours.HEADLINE_INDICATORS, None, version, custom, up_to=d.year
        ),
        "comparisons": {
            ind: neighbours.comparison(None, d.la_code, ind, "both" if not custom else "custom", custom)
            for ind in neighbours.HEADLINE_INDICATORS
            if indicator_sets.unit_of(ind) == "percent"  # the shares of pupils; progress has its own section
        },
        "progress": {
            ind: neighbours.progress_ci(None, d.la_code, ind)
            for ind in neighbours.HEADLINE_INDICATORS
            if ind in neighbours.PROGRESS_COLUMNS
        },
        "context": neighbours.context_table(d.la_code, year, version, custom),
        "mismatches": neighbours.mismatch_report(None),
    }


def plan_flags(d: PackDefinition, strand: Part, risk_part: Part, acc: Part) -> pd.DataFrame:
    """Per plan school: below the floor, at risk of falling below the bar, stuck (the plan's and the support's
    reading of the other parts, so the counts agree with theirs)."""
    assigned = strand["assigned"].set_index("urn")
    chance = (
        risk_part["table"].drop_duplicates("urn").set_index("urn")["p_below_next"].reindex(assigned.index)
        if risk_part.ok
        else pd.Series(float("nan"), index=assigned.index)
    )
    stuck_urns = set(acc["stuck"]["urn"]) if acc.ok else set()
    return pd.DataFrame(
        {
            "below_floor": assigned["below_floor"].astype(bool),
            "at_risk": (chance >= d.at_risk_chance).fillna(False).astype(bool),
            "stuck": assigned.index.isin(list(stuck_urns)),
        },
        index=assigned.index,
    )


def _plan(d: PackDefinition, strand: Part, risk_part: Part, acc: Part) -> dict[str, Any]:
    if not strand.ok:
        raise NoDataError(f"no plan: it is built from the strands, and {strand.reason}")
    files = plan.files(d.allocation_file, d.prices_file, d.clusters_file or None)
    table = risk_part["table"] if risk_part.ok else None
    flags = plan_flags(d, strand, risk_part, acc)
    built = plan.build(d.la_code, d.year, strand["assigned"], table, flags, files)
    helped = support.support(
        built.members,
        strand["assigned"],
        table,
        year=d.year,
        rules=plan_rules.support_rules(d.support_rules_file or None),
        at_risk_chance=d.at_risk_chance,
        stuck_urns=set(flags.index[flags["stuck"]]),
    )
    examples = [capacity.evaluate(council_file(f, "scenario file", (scenarios_dir(),))) for f in d.scenario_files]
    return {"plan": built, "support": helped, "flags": flags, "risk_reason": risk_part.reason, "examples": examples}


@lru_cache(maxsize=16)
def _facts(key: tuple, data_version: tuple) -> PackFacts:
    return PackFacts(PackDefinition(**dict(key)), data_version)


def facts(definition: PackDefinition) -> PackFacts:
    """The pack's facts, one object per definition (and data version) shared by its notebooks, each part
    computed when first asked for; one version of the data throughout (each table's freshness checked once per
    part, not at each of its hundreds of reads)."""
    with tables.pinned():
        return _facts(definition.key, tables.tables_version(*tables.TABLES))


def scenario_path(name: str) -> Path:
    """A named scenario file (``derby_2010_proposed.yaml``) in ``scenarios/``."""
    return council_file(name, "scenario file", (scenarios_dir(),))
