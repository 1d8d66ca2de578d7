"""The garbage collector's settings for a serving process: kept off the request path.

A page over a director's tree reads thousands of rows and builds tens of thousands of objects
that live until the response is sent. Two settings keep the collector from walking them for
nothing (figures: docs/performance.md):

- **freeze** what the process built before serving (the app, its modules: about 160,000
  objects), so full collections walk only what requests made;
- **a young generation of 50,000 objects** instead of CPython's 700: at 700 the calibration page
  of 2,540 people ran 32 young and 3 middle collections a request, freeing nothing, for about 8 ms
  of CPU. A request's own objects are freed by reference counting when it ends, so at 50,000 a
  collection rarely comes due during one; reference cycles are still collected, at most that
  many objects later.
"""
from __future__ import annotations

import gc

YOUNG_GENERATION = 50_000


def settle_for_serving() -> None:
    """Collect, freeze what survives, and raise the young generation's threshold (the older
    generations keep theirs): once in a server's master before it forks, and in each worker."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, middle, old)
