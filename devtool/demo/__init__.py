"""`duo demo`: a realistic programme driven through the services' public HTTP APIs on a simulated calendar."""
