"""Fakes that are part of the product: scripted providers for tests and experiments, and
(later) faithful provider simulators served by ``storyreel simulate``."""
