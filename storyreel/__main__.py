"""``python -m storyreel`` is the ``storyreel`` command."""

from storyreel.cli.app import main

main()
