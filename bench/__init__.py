"""`make bench`: speed measured against baselines taken in the same run."""
