"""Work that builds hundreds of thousands of objects at once (a city's export, a year's recompute,
an import of 100,000 rows, the dashboard of 3,000 forms)."""

import contextlib
import gc


@contextlib.contextmanager
def few_collections():
    """Python's cyclic garbage collector would walk the objects such work keeps alive over and
    over (about a sixth of a city's export). It runs rarely meanwhile and is restored afterwards;
    results are the same."""
    thresholds = gc.get_threshold()
    # young collections every 100,000 allocations; older ones almost never (each walks every
    # object still alive: a city's 3,000 tables took 3.1 s with (100000, 10, 10), 2.6 s with
    # (100000, 100, 100), 2.4 s with the collector off)
    gc.set_threshold(max(thresholds[0], 100_000), max(thresholds[1], 100), max(thresholds[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
