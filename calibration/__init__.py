"""Fitting dcsim to a service's history."""
