"""Long tasks of every kind (training, and next evaluation and tuning): the queue,
workers, leases and recovery, cancel, the process runner and live output. Knows
nothing about what a job does: a domain registers a `JobKind`."""
