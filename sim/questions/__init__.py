"""What planners ask of runs: compare scenarios, goals, solve for capacity, sensitivity."""
