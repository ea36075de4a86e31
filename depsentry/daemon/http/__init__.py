"""The daemon's HTTP face: health, readiness, metrics and the JSON API on one port."""
