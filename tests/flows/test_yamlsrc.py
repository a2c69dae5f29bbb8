"""The YAML layer: YAML 1.1 traps closed, dangerous tags refused, positions kept."""

import pytest

from core.problems import ConfigFileError
from core.yamlsrc import KEY, MAX_FILE_BYTES, load


@pytest.mark.parametrize("text, expected", [
    ("v: yes", "yes"), ("v: no", "no"), ("v: on", "on"), ("v: off", "off"), ("v: y", "y"),
    ("v: true", True), ("v: False", False),
    ("v: 0120", "0120"),            # not octal 80
    ("v: 0312345678", "0312345678"),  # a phone number stays text
    ("v: 1:30", "1:30"),            # not sexagesimal 90
    ("v: 2026-12-31", "2026-12-31"),  # not a date object
    ("v: 5", 5), ("v: -3", -3), ("v: 1.5", 1.5), ("v: '5'", "5"), ("v: ~", None),
    ("v: +81312345678", "+81312345678"),
    ("v: 1e3", "1e3"),
])
def test_scalars_follow_the_core_schema(text, expected):
    assert load(text, "f.yaml").data == {"v": expected}


def test_mapping_keys_are_text():
    assert load("{1: a, 0: b, true: c}", "f.yaml").data == {"1": "a", "0": "b", "true": "c"}


def test_positions_of_keys_and_values():
    source = load("a:\n  b: [x, y]\n  c: z\n", "f.yaml")
    assert source.positions[("a", "b", KEY)] == (2, 3)
    assert source.positions[("a", "b", 1)] == (2, 10)
    assert source.positions[("a", "c")] == (3, 6)


@pytest.mark.parametrize("text, message, where", [
    ("a: !!python/object/apply:os.system ['true']", "tag 'tag:yaml.org,2002:python/object/apply"
     ":os.system' is not allowed", (1, 4)),
    ("a: !!binary aGVsbG8=", "is not allowed in flow files", (1, 4)),
    ("a: 1\nb: 2\na: 3\n", "duplicate key 'a'", (3, 1)),
    ("a: [1, 2", "YAML syntax", (1, 9)),
    ("a: b: c", "YAML syntax", (1, 5)),
    ("x: &a [1]\n<<: *a\n", "merge keys (<<) are not supported", (2, 1)),
    ("a:\n\t- 1\n", "YAML syntax", (2, 1)),
])
def test_refused_yaml_names_the_line(text, message, where):
    with pytest.raises(ConfigFileError) as err:
        load(text, "f.yaml")
    problem = err.value.problems[0]
    assert message in problem.message
    assert (problem.line, problem.col) == where
    assert str(problem).startswith(f"f.yaml:{where[0]}:{where[1]}: ")


def test_alias_bomb_fails_fast():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(ConfigFileError, match="alias bomb"):
        load("\n".join(lines), "bomb.yaml")


def test_oversized_and_non_utf8_files():
    with pytest.raises(ConfigFileError, match="the limit is"):
        load(b"#" * (MAX_FILE_BYTES + 1), "big.yaml")
    with pytest.raises(ConfigFileError, match="not UTF-8"):
        load("name: テスト".encode("shift_jis"), "sjis.yaml")


def test_utf8_bom_is_accepted():
    assert load("\ufeffname: テスト".encode(), "bom.yaml").data == {"name": "テスト"}
