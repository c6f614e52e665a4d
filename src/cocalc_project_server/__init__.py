"""Local CoCalc project server."""
