"""Presentation of sitrep results: maps, briefs."""
