"""The ``storyreel`` command line (Typer + Rich); it calls the same services as the API."""
