"""Print pip's ``--extra-index-url`` for PyTorch's CPU wheels when that index answers.

Used by the Makefile: where the index is reachable, torch comes from it as the CPU build;
where it is not (a machine that reaches PyPI only), pip finds the build on disk or on
PyPI, and no minute is spent retrying an index that cannot answer.
"""

import sys
import urllib.request

URL = sys.argv[1] if len(sys.argv) > 1 else "https://download.pytorch.org/whl/cpu"

try:
    with urllib.request.urlopen(f"{URL}/torch/", timeout=5):  # noqa: S310 - fixed https URL
        print(f"--extra-index-url {URL}")
except OSError:
    pass
