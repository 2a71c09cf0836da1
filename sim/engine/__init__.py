"""The model of one service for one replication.

Config schema and scenario files, calendar, dated changes, rules, demand, capacity,
patients, the SimPy model, the month-end census, random streams and sweeps. No file output.
"""
