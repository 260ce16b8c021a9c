"""Durable execution on DBOS: one workflow per generation job, one queue per provider."""
