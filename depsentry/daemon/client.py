"""A small client for a running daemon's JSON API (what `depsentry daemon scan` and
`depsentry findings --url` use), and where to find that daemon."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from depsentry.daemon.settings import Settings
from depsentry.errors import DepsentryError

__all__ = ["DaemonClient", "daemon_url"]


def daemon_url(settings: Settings) -> str:
    """The running daemon's URL: from its runtime file when that process is alive (it knows the
    port it really got), else the configured `listen` address."""
    from depsentry.daemon.service import RUNTIME_FILE

    runtime = settings.state_dir / RUNTIME_FILE
    try:
        data = json.loads(runtime.read_text(encoding="utf-8"))
        pid, url = int(data["pid"]), str(data["url"])
        os.kill(pid, 0)
        return url
    except (OSError, ValueError, KeyError, TypeError):
        pass
    host = "127.0.0.1" if settings.listen_host in ("0.0.0.0", "::") else settings.listen_host
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{settings.listen_port}"


class DaemonClient:
    """JSON over HTTP with a bearer token; errors become one-line DepsentryErrors."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0):
        import httpx

        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> DaemonClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, path: str, **params: Any) -> Any:
        return self._request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._request("POST", path, json=body or {})

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise DepsentryError(
                f"cannot reach the daemon at {self.url} ({type(exc).__name__}); is it running? "
                "(`depsentry daemon run`, or --local to work without it)"
            ) from exc
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code == 401:
            raise DepsentryError(
                f"{self.url}: the daemon wants a bearer token (--token-file, or $DEPSENTRY_TOKEN)"
            )
        if response.status_code >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise DepsentryError(f"{self.url}{path}: {message or f'HTTP {response.status_code}'}")
        return data


def token_from(file: Path | None) -> str | None:
    """A token from `--token-file`, else `$DEPSENTRY_TOKEN`."""
    if file is not None:
        from depsentry.daemon.credentials import read_secret

        return read_secret(what="API token", file=file)
    return os.environ.get("DEPSENTRY_TOKEN") or None
