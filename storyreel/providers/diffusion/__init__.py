"""The ``local`` provider: Stable Diffusion and friends through diffusers, on this machine.

Optional (``pip install storyreel[local]``): nothing here imports torch or diffusers at
module load, so the provider registers, ``storyreel models`` lists local models and the
device report answers on a machine without the extra; a job then fails with a ConfigError
that says what to install.
"""
