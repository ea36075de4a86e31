"""The monitoring side of depsentry: inputs, advisories, index, scan, policy, reports, store, notify."""
