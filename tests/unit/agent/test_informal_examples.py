"""Examples written as prose in a docstring are found only when unambiguous (informal_examples.py).

Issue 13: 15 of the 30 HumanEval prompts of the seeded sample give no ``>>>`` examples but
``f(x) == y``, ``f(x) => y``, ``f(x) ➞ y`` lines; Cairn's check of a change never ran on them.
"""

from __future__ import annotations

from cairn.server.agent.informal_examples import InformalExample, as_doctest, informal_examples

DOC = """Return the words.

    For example:
    words("Hi, my name") == ["Hi", "my", "name"]
    * words('a b') => ['a', 'b']
    - words("x") ➞ ["x"]
    words("") -> []
    words("y") = ["y"]
    For example: words("z z") should return ["z", "z"].
    for words('q') == ['q']
    words("broken") == ""broken"
    words("n") == some_variable
    other("a") == ["a"]
    Input: "a b"
    Output: ["a", "b"]
    """


def test_each_unambiguous_form_is_found_and_nothing_else():
    found = informal_examples("words", DOC)
    assert found == [
        InformalExample('words("Hi, my name")', "['Hi', 'my', 'name']"),
        InformalExample("words('a b')", "['a', 'b']"),
        InformalExample('words("x")', "['x']"),
        InformalExample('words("")', "[]"),
        InformalExample('words("y")', "['y']"),
        InformalExample('words("z z")', "['z', 'z']"),
        InformalExample("words('q')", "['q']"),
    ]


def test_keyword_arguments_and_comparisons_inside_the_call_are_not_separators():
    doc = "f(a=1, b=2) == 3\nf(x == 1) == True\n"
    assert informal_examples("f", doc) == [
        InformalExample("f(a=1, b=2)", "3"),
        InformalExample("f(x == 1)", "True"),
    ]


def test_doctest_examples_are_the_spec_when_there_are_any():
    assert informal_examples("f", ">>> f(1)\n2\nf(2) == 3\n") == []


def test_as_doctest_gives_the_runner_one_example_per_line():
    text = as_doctest([InformalExample("f(1)", "[1, 2]"), InformalExample("f(2)", "'a'")])
    assert text == ">>> f(1)\n[1, 2]\n>>> f(2)\n'a'\n"
