"""Validation of SKILL.md text: every rule of the spec, with ranges, and never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.skills.sources import bundled_skills_dir
from cairn.skills.validation import parse_skill_text, validate_skill_text

from .conftest import skill_text


def messages(problems, severity="error"):
    return [p.message for p in problems if p.severity == severity]


def test_a_valid_skill_has_no_problem_and_parses():
    text = skill_text(
        "my-skill",
        extra=(
            'license: MIT\ncompatibility: Needs git.\nmetadata:\n  languages: "python"\n'
            "allowed-tools: read_file search\n"
        ),
    )
    skill, problems = parse_skill_text(text, "my-skill")
    assert problems == []
    assert (
        skill.name == "my-skill"
        and skill.languages == ("python",)
        and skill.allowed_tools == ("read_file", "search")
    )
    assert skill.body == "Do it well."


def test_missing_or_unclosed_front_matter_is_an_error_on_line_0():
    for text in ("# no front matter\n", "---\nname: x\n", ""):
        problems = validate_skill_text(text, "x")
        assert len(problems) == 1 and problems[0].is_error and problems[0].range.start_line == 0


def test_yaml_error_points_at_its_line():
    text = "---\nname: x\ndescription: [unclosed\n---\nbody\n"
    problems = validate_skill_text(text, "x")
    assert problems[0].is_error and "not valid YAML" in problems[0].message
    assert 2 <= problems[0].range.start_line <= 3


def test_front_matter_that_is_not_a_mapping():
    assert "mapping" in validate_skill_text("---\n- a\n- b\n---\nbody\n")[0].message


def test_name_rules_each_reported_on_the_name_line():
    cases = {
        "Upper": "lowercase",
        "-lead": "start or end",
        "two--hyphens": "consecutive",
        "a" * 65: "1-64",
        "under_score": "lowercase letters",
    }
    for name, fragment in cases.items():
        problems = validate_skill_text(skill_text(name), name)
        errors = [p for p in problems if p.is_error]
        assert any(fragment in p.message for p in errors), (name, errors)
        assert all(p.range.start_line == 1 and p.key == "name" for p in errors)


def test_name_must_equal_the_folder():
    problems = validate_skill_text(skill_text("alpha"), "beta")
    assert any("folder name" in m for m in messages(problems))


def test_missing_and_overlong_fields():
    text = "---\nname: x\n---\nbody\n"
    assert any("description" in m for m in messages(validate_skill_text(text, "x")))
    long_description = skill_text("x", description="d" * 1025)
    assert any("at most 1024" in m for m in messages(validate_skill_text(long_description, "x")))
    compat = skill_text("x", extra=f"compatibility: {'c' * 501}\n")
    assert any("at most 500" in m for m in messages(validate_skill_text(compat, "x")))


def test_metadata_values_must_be_strings_and_tools_a_string():
    text = skill_text("x", extra="metadata:\n  version: 1.0\nallowed-tools: [a, b]\n")
    errors = messages(validate_skill_text(text, "x"))
    assert any("metadata value of 'version'" in m for m in errors)
    assert any("allowed-tools" in m for m in errors)
    assert any(
        "mapping" in m for m in messages(validate_skill_text(skill_text("x", extra="metadata: flat\n"), "x"))
    )


def test_unknown_keys_are_kept_with_a_warning():
    text = skill_text("x", extra="owner: team-a\n")
    skill, problems = parse_skill_text(text, "x")
    assert skill is not None and skill.extra == {"owner": "team-a"}
    warning = [p for p in problems if p.severity == "warning"][0]
    assert "unknown key 'owner'" in warning.message and warning.range.start_line == 3


def test_body_warnings_short_description_and_missing_reference():
    text = skill_text("x", description="Short.", body="See references/missing.md for more.\n")
    problems = validate_skill_text(text, "x", resource_exists=lambda rel: False)
    warnings = messages(problems, "warning")
    assert any("very short" in m for m in warnings)
    ref = [p for p in problems if "references/missing.md" in p.message][0]
    assert ref.range.start_line == 4 and ref.range.start_char == 4
    assert validate_skill_text(skill_text("x", body=""), "x")[0].message.startswith("the body is empty")


def test_every_bundled_skill_is_valid_and_declares_what_it_suits():
    folders = sorted(p for p in bundled_skills_dir().iterdir() if p.is_dir())
    assert {"explain", "fix-diagnostic", "refactor", "docstring", "write-tests"} <= {f.name for f in folders}
    for folder in folders:
        skill, problems = parse_skill_text(
            (folder / "SKILL.md").read_text(),
            folder.name,
            resource_exists=lambda rel, base=folder: (base / rel).is_file(),
        )
        assert skill is not None and problems == [], (folder.name, problems)
        assert len(skill.body) > 800  # real instructions, not a stub


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(text):
    for candidate in (text, "---\n" + text, "---\n" + text + "\n---\nbody"):
        for problem in validate_skill_text(candidate, "x"):
            assert problem.severity in ("error", "warning") and problem.range.start_line >= 0
