"""Resolution of names to actors and places, against data files the project owns."""
