"""The garbage collector's settings for serving (ladder/heap.py), each checked in a fresh
interpreter so the test process keeps its own collector as it was."""
import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True, capture_output=True,
                          text=True, timeout=60).stdout.strip()


def test_settling_freezes_what_was_built_and_raises_only_the_young_threshold():
    out = _run("""
        import gc
        from ladder import create_app
        from ladder.heap import YOUNG_GENERATION, settle_for_serving
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
        before = gc.get_threshold()
        settle_for_serving()
        after = gc.get_threshold()
        print(gc.get_freeze_count() > 10_000, after == (YOUNG_GENERATION, *before[1:]), gc.isenabled())
    """)
    assert out == "True True True"


def test_reference_cycles_made_while_serving_are_still_collected():
    """Objects that only the collector can free (a cycle) are freed once enough pile up: memory stays bounded."""
    out = _run("""
        import gc, weakref
        from ladder.heap import YOUNG_GENERATION, settle_for_serving
        settle_for_serving()

        class Node:
            pass

        freed = []
        for _ in range(3 * YOUNG_GENERATION):
            node = Node()
            node.self = node  # a cycle: reference counting never frees it
            weakref.finalize(node, freed.append, 1)
        del node
        print(len(freed) >= YOUNG_GENERATION)
    """)
    assert out == "True"
