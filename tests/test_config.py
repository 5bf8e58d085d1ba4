"""The shared loader for council-editable YAML files: every mistake names the file, the line and the field."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from ks2workbook.core import paths, safe_yaml
from ks2workbook.core.errors import ConfigError, WorkbookError
from ks2workbook.core.safe_yaml import YamlFile, dotted, parse_yaml, read_yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _all(value: Any) -> Any:
    """A plain number means {"all": n} (as in scenario files): a key the file does not have."""
    return {"all": value} if isinstance(value, int | float) else value


class Post(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    fte: float = Field(ge=0)


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    posts: list[Post] = []
    days: dict[str, Annotated[dict[str, Annotated[float, Field(ge=0)]], BeforeValidator(_all)]] = {}


TEXT = """\
title: Plan
posts:
  - name: SIP
    fte: 1
  - name: Manager
    fte: -2
days:
  great: -5
"""


def _error(text: str, **kwargs: Any) -> str:
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, "plan.yaml").validate(Plan, **kwargs)
    assert isinstance(info.value, WorkbookError)  # the command line prints it without a traceback
    return str(info.value)


def test_line_of_a_bad_field_in_a_list_item():
    msg = _error(TEXT.replace("days:\n  great: -5\n", ""))
    assert msg == "plan.yaml: line 6: posts[1].fte: Input should be greater than or equal to 0 (got -2)"


def test_several_problems_one_line_each_and_validator_keys_dropped():
    msg = _error(TEXT)
    head, *rest = msg.split("\n  ")
    assert head == "plan.yaml: 2 problems:"
    assert rest[0].startswith("plan.yaml: line 6: posts[1].fte: ")
    # the {"all": -5} made from "great: -5" is reported at the file's own key, not at great.all
    assert rest[1] == "plan.yaml: line 8: days.great: Input should be greater than or equal to 0 (got -5)"


def test_missing_field_on_its_parents_line_and_unknown_field():
    text = TEXT.replace("  - name: Manager\n", "  - nmae: Manager\n").replace("    fte: -2", "    fte: 2")
    text = text.replace("great: -5", "great: 5")
    msg = _error(text)
    assert "plan.yaml: line 5: posts[1].nmae: unknown field (check the spelling)" in msg
    assert "plan.yaml: line 5: posts[1].name: missing required field" in msg
    msg = _error(text, unknown_field=lambda loc: f"no field {loc[-1]!r} in a post")
    assert "line 5: posts[1].nmae: no field 'nmae' in a post" in msg
    assert "line 1: title: missing required field" in _error("posts: []\n")


def test_duplicate_key_names_both_lines():
    with pytest.raises(ConfigError) as info:
        parse_yaml(TEXT + "title: Other\n", "plan.yaml")
    assert str(info.value) == "plan.yaml: line 9: 'title' appears twice (first on line 1); keep one"
    with pytest.raises(ConfigError, match=r"line 5: 'posts\[1\]\.fte' appears twice \(first on line 4\)"):
        parse_yaml("posts:\n  - name: a\n  - name: b\n    fte: 1\n    fte: 2\n", "plan.yaml")


def test_broken_yaml_names_the_line():
    with pytest.raises(ConfigError, match=r"^plan\.yaml: line 4: not valid YAML \(.+; .+ on line 3\)$"):
        parse_yaml("title: Plan\nposts:\n  - [unclosed\n", "plan.yaml")
    with pytest.raises(ConfigError, match=r"^plan\.yaml: line 2: not valid YAML"):
        parse_yaml("title: a\n\tfte: 1\n", "plan.yaml")


def test_missing_file_says_what_was_expected(tmp_path):
    with pytest.raises(ConfigError, match=r"^plan file .*nope\.yaml not found \(copy plans/example\.yaml\)$"):
        read_yaml(tmp_path / "nope.yaml", kind="plan file", hint="copy plans/example.yaml")
    (tmp_path / "latin1.yaml").write_bytes(b"title: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"^shown\.yaml: cannot be read as a UTF-8 text file"):
        read_yaml(tmp_path / "latin1.yaml", shown="shown.yaml")


def test_read_yaml_lines_and_shown_name(tmp_path):
    (tmp_path / "plan.yaml").write_text(TEXT, encoding="utf-8")
    file = read_yaml(tmp_path / "plan.yaml", shown="plans/plan.yaml")
    assert file.shown == "plans/plan.yaml"
    assert file.lines[("posts", 1, "fte")] == 6 and file.lines[("days", "great")] == 8
    assert file.line(("posts", 1, "nothing")) == 5  # a key not in the file: its nearest parent's line


def test_not_a_mapping():
    with pytest.raises(ConfigError, match=r"^plan\.yaml: line 1: the file is empty; expected a mapping of fields"):
        parse_yaml("# nothing yet\n", "plan.yaml").mapping("title:, posts:")
    for text in ("- a\n- b\n", "just words\n"):
        with pytest.raises(ConfigError, match=r"^plan\.yaml: line 1: expected a mapping of fields \(title:, posts:\)"):
            parse_yaml(text, "plan.yaml").mapping("title:, posts:")
    msg = _error("title: a\nposts: [3]\n")
    assert msg == "plan.yaml: line 2: posts[0]: expected a mapping of fields (key: value lines), got 3"


def test_data_not_from_a_file_names_the_field_without_a_line():
    data = {"title": "x", "posts": [{"name": "a", "fte": -1}]}
    with pytest.raises(ConfigError) as info:
        YamlFile("<plan>", data).validate(Plan)
    assert str(info.value) == "<plan>: posts[0].fte: Input should be greater than or equal to 0 (got -1)"


def test_module_checks_use_the_same_form():
    file = parse_yaml(TEXT, "plan.yaml")
    err = file.error([(("posts", 0, "name"), "used twice"), (("days",), "too few")])
    assert str(err).splitlines()[1:] == [
        "  plan.yaml: line 3: posts[0].name: used twice",
        "  plan.yaml: line 7: days: too few",
    ]


def test_dotted():
    assert dotted(()) == "(top level)"
    assert dotted(("supply", "employed", 0, "fte")) == "supply.employed[0].fte"


def _both_ways(text: str, shown: str) -> tuple[YamlFile, YamlFile]:
    fast = parse_yaml(text, shown)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(safe_yaml, "_FastLoader", None)
        slow = parse_yaml(text, shown)
    return fast, slow


def test_libyaml_reads_every_shipped_file_as_the_python_parser_does():
    """Files are composed by libyaml (several times faster; the catalogue and rule files are read by every run
    and kernel): every YAML file of the project gives the same values, of the same types, on the same lines."""
    root = paths.project_root()
    files = [p for p in root.rglob("*.yaml") if not {".venv", "outputs", ".git"} & set(p.relative_to(root).parts)]
    assert len(files) >= 15 and safe_yaml._FastLoader is not None
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert safe_yaml._compose_fast(text) is not None, file
        fast, slow = _both_ways(text, file.name)
        assert repr(fast.data) == repr(slow.data) and fast.lines == slow.lines, file


@pytest.mark.parametrize(
    "text",
    ["a: [1, 2\nb: 3\n", "a: 1\n  b: 2\n", "a: 1\n\tb: 2\n", "ok: \x07\n", "date: 2010-02-30\nsame: 1\nsame: 2\n"],
)
def test_what_libyaml_cannot_read_is_worded_by_the_python_parser(text):
    """A file libyaml refuses (or one with a character PyYAML's reader refuses) is read again by the pure-Python
    parser, whose message names the line and the problem: the same message as without libyaml."""
    with pytest.raises(ConfigError) as fast:
        parse_yaml(text, "f.yaml")
    with pytest.MonkeyPatch.context() as patch, pytest.raises(ConfigError) as slow:
        patch.setattr(safe_yaml, "_FastLoader", None)
        parse_yaml(text, "f.yaml")
    assert str(fast.value) == str(slow.value) and str(fast.value).startswith("f.yaml: line ")
    assert "\n" not in str(fast.value) and "<unicode string>" not in str(fast.value)


def test_a_control_character_is_named_with_its_line():
    with pytest.raises(ConfigError, match=r"^f\.yaml: line 2: a control character \(#x0007\), which a YAML file"):
        parse_yaml("a: 1\nb: x\x07y\n", "f.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "a:\t1\n",
        "a: 1\t\n",
        "a: [1,\t2]\n",
        "a: [what?]\n",
        "a: {b?c: 1}\n",
        "a: 1\n\ufeff",
        "a: !\n",
        "\ta: 1\n",
        "?a: 1\n",
    ],
)
def test_a_file_libyaml_would_read_more_leniently_means_what_it_always_meant(text):
    """libyaml accepts tabs as spacing, ``?`` inside brackets and a late byte-order mark, which PyYAML's own parser
    refuses, and reads a bare ``!`` otherwise: such text is read by the pure-Python parser, so a council's file is
    valid, and means the same, whichever parser PyYAML was built with."""
    assert safe_yaml._compose_fast(text) is None

    def outcome(fast: bool):
        with pytest.MonkeyPatch.context() as patch:
            if not fast:
                patch.setattr(safe_yaml, "_FastLoader", None)
            try:
                return repr(parse_yaml(text, "f.yaml").data)
            except ConfigError as exc:
                return str(exc)

    assert outcome(True) == outcome(False)
    assert safe_yaml._compose_fast("\ufeff" + "a: 1\n") is not None  # a byte-order mark first is read alike


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("a: !!int x\n", "a value that cannot be read"),
        ("a: !!bool x\n", "a value that cannot be read"),
        ("a: 0x_\n", "a value that cannot be read"),
        ("a: !!int\n", "a value that cannot be read"),
        ("a: " + "[" * 3000 + "]" * 3000 + "\n", "nested more than 50 deep"),
        ("a: " + "[" * 60 + "]" * 60 + "\n", "line 1: lists and mappings nested more than 50 deep"),
        ("".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "x: 1\n", "line 51: lists and mappings"),
    ],
)
def test_values_yaml_cannot_build_and_deep_nesting_are_one_message(text, said):
    """What made PyYAML raise a ValueError, KeyError, IndexError or RecursionError is one ConfigError naming the
    file (hostile input gets one clear message, never a traceback)."""
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "f.yaml")
    assert str(caught.value).startswith("f.yaml: ") and said in str(caught.value)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200
