"""`make demo`: the reference page's examples, run for real."""
