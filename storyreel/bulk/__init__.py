"""Bulk generation (seed 004): a folder of images times a file of prompts, as videos.

``inputs`` reads and checks the two inputs, ``matrix`` pairs them, ``plan`` binds and
prices every pair (the dry run), ``rows`` stores a bulk and all its jobs in one
transaction, ``run`` drives them on the engine, and ``export`` writes the downloads
folder (seed 004's file names and ``index.csv``) from the store. The CLI and the API call
these same functions.
"""

DEFAULT_MODEL = "kling"
"""Seed 004's example model (Kling v2.5 Turbo Pro on fal). Here, not in ``plan``, so
``storyreel bulk --help`` can show it without importing the catalog's image checks."""
