"""The language layer: spaCy loading and batching, time expressions, and the annotator that ties them to resolution."""
