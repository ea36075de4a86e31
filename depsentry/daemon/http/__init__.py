"""The daemon's HTTP face on one port: health, readiness, metrics, the JSON API and the status page."""
