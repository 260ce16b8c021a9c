"""``python -m storyreel`` is the ``storyreel`` command."""

from storyreel.cli import main

main()
