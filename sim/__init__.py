"""dcsim: demand-and-capacity simulation of RTT waiting lists."""
