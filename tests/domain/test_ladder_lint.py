"""The ladder linter: warnings about valid ladders that are probably not what was meant."""
from ladder.domain.ladder_lint import lint
from ladder.domain.rubric import parse_rubric

LADDER = """\
format: 2
key: lint
name: Lint me
levels:
  - {key: L1, rank: 1}
  - {key: L2, rank: 2}
  - {key: L3, rank: 3}
  - {key: M3, rank: 3}
tracks:
  - {key: ic, name: IC, levels: [L1, L2, L3]}
  - {key: management, name: Management, levels: [L1, L2, M3]}
transitions:
  - {from: L2, to: M3, track: management}
areas:
  - key: craft
    name: Craft
    competencies:
      - key: coding
        name: Coding
        tracks: [ic]
        expectations:
          L1: Writes code that works and is tested by someone else.
          L2: Writes code that works and is tested by someone else.
          L3: Leads.
      - key: design
        name: Design
        tracks: [ic]
        expectations:
          L1: Designs a function.
          L3: Designs systems others build on, and explains the trade-offs in writing.
"""


def messages(text):
    return [str(w) for w in lint(parse_rubric(text))]


def test_repeated_shorter_and_skipped_expectations_and_tracks_nobody_leaves():
    found = messages(LADDER)
    assert "competency 'coding': the expectation at 'L2' repeats 'L1'" in found
    assert any(m.startswith("competency 'coding': the expectation at 'L3' is much shorter than at 'L2'") for m in found)
    assert "competency 'design': skips level 'L2' on the 'ic' track" in found
    assert "track 'management': has no transitions out to another track" in found
    assert not any(m.startswith("track 'ic'") for m in found)  # L2 -> M3 leaves it


def test_a_careful_ladder_has_no_warnings():
    careful = (LADDER.replace("L2: Writes code that works and is tested by someone else.",
                              "L2: Writes code that works, with tests, and reviews the code of others.")
               .replace("L3: Leads.",
                        "L3: Sets how the team writes code, with standards, reviews and the tools that check them.")
               .replace("          L1: Designs a function.\n",
                        "          L1: Designs a function.\n          L2: Designs a module with its interfaces.\n")
               .replace("  - {from: L2, to: M3, track: management}",
                        "  - {from: L2, to: M3, track: management}\n  - {from: M3, to: L3, track: ic}"))
    assert messages(careful) == []
