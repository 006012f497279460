"""The web app's static files, served by `sitrep serve` under /static."""
