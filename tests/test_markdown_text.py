"""Which lines are fenced code, by CommonMark's closing rule."""

from auditor.markdown_text import fenced_lines


def test_a_longer_fence_holds_shorter_ones() -> None:
    lines = ["text", "````markdown", "```bash", "ls", "```", "````", "after"]
    assert fenced_lines(lines) == [False, True, True, True, True, True, False]


def test_a_fence_closes_only_with_its_own_character_and_nothing_after_it() -> None:
    lines = ["~~~", "```", "~~~ not a close", "~~~~", "prose"]
    assert fenced_lines(lines) == [True, True, True, True, False]


def test_inline_code_with_three_backticks_opens_nothing_and_an_unclosed_fence_runs_to_the_end() -> None:
    assert fenced_lines(["```a``` is inline", "prose"]) == [False, False]
    assert fenced_lines(["  ```", "code", "more"]) == [True, True, True]
