"""The service layer: what the CLI and the REST API both call.

The faces (``cli/``, ``api/``, later ``web/``) only parse input and render output; every
question they ask of the store, the catalog or the engine goes through a function here,
so a job listed by ``storyreel jobs list`` and by ``GET /api/v1/jobs`` is the same query.

It is its own package, above ``story`` and ``engine``, rather than more of
``engine/service.py``: choosing a model from an alias, pricing and budget checks (catalog),
story progress (story tables) and presentation queries are not the engine's business, and
the engine must not import the story layer.
"""
