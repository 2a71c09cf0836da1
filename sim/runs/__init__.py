"""Replications on a backend.

The runner, serial/process/Dask backends, checkpoints and resume, per-patient traces,
atomic files, the run manifest and aggregation across replications.
"""
