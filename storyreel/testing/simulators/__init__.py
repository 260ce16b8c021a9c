"""Faithful wire-level simulators of the providers storyreel speaks to, for tests,
benchmarks and ``storyreel simulate``."""

from .base import FileStore, OutputSpec, SimConfig, SimJob, Simulator
from .suite import SimulatorSuite, register

__all__ = [
    "FileStore",
    "OutputSpec",
    "SimConfig",
    "SimJob",
    "Simulator",
    "SimulatorSuite",
    "register",
]
