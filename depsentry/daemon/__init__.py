"""The long-running service: config, scheduler, store, HTTP and notify (empty until the daemon lands)."""
