"""The package index client: PyPI JSON API and PEP 503/691 simple repositories, with an HTTP cache."""

from depsentry.index.cache import CachedResponse, HttpCache
from depsentry.index.client import DEFAULT_INDEX_URL, IndexFailure, PackageIndex
from depsentry.index.pypi_json import parse_pypi_json
from depsentry.index.simple import parse_simple_html, parse_simple_json

__all__ = [
    "DEFAULT_INDEX_URL",
    "CachedResponse",
    "HttpCache",
    "IndexFailure",
    "PackageIndex",
    "parse_pypi_json",
    "parse_simple_html",
    "parse_simple_json",
]
