"""Real-shaped distribution files for the loopback index: wheels (zip with METADATA, WHEEL and
RECORD), their PEP 658 metadata, and sdists (tar.gz with PKG-INFO), built deterministically so
that their sha256 is stable and resolvers (uv, pip) accept them.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import io
import tarfile
import zipfile

from packaging.utils import parse_sdist_filename, parse_wheel_filename

_EPOCH = (2020, 1, 1, 0, 0, 0)


def metadata(
    filename: str, requires_dist: tuple[str, ...] = (), requires_python: str | None = None
) -> bytes:
    """The core metadata (METADATA / PKG-INFO) of the file named `filename`."""
    name, version = _name_version(filename)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {requirement}" for requirement in requires_dist]
    return ("\n".join(lines) + "\n\n").encode()


@functools.lru_cache(maxsize=1024)
def artifact(
    filename: str, requires_dist: tuple[str, ...] = (), requires_python: str | None = None
) -> bytes:
    """The bytes of a wheel or sdist named `filename` declaring these dependencies."""
    meta = metadata(filename, requires_dist, requires_python)
    if filename.endswith(".whl"):
        return _wheel(filename, meta)
    return _sdist(filename, meta)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _name_version(filename: str) -> tuple[str, str]:
    if filename.endswith(".whl"):
        name, version, _, _ = parse_wheel_filename(filename)
    else:
        name, version = parse_sdist_filename(filename)
    return str(name), str(version)


def _wheel(filename: str, meta: bytes) -> bytes:
    stem = filename.split("-")
    dist_info = f"{stem[0]}-{stem[1]}.dist-info"
    files = {
        f"{stem[0]}/__init__.py".lower(): b"",
        f"{dist_info}/METADATA": meta,
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: depsentry-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}\n"
        for path, data in files.items()
    )
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, _EPOCH), data)
    return buffer.getvalue()


def _sdist(filename: str, meta: bytes) -> bytes:
    base = filename.removesuffix(".tar.gz").removesuffix(".zip")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size, info.mtime = len(meta), 1577836800
        archive.addfile(info, io.BytesIO(meta))
    return gzip.compress(buffer.getvalue(), mtime=0)  # no timestamp: the same bytes every run
