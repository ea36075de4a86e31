"""The daemon's HTTP face: routes, the status page and its templates."""
