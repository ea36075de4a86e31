"""What PyPI says about the packages of `examples/vulnerable-app`, for the loopback index: the real
releases the fix tests need (the example's pins, the fixes the real advisories name, and what
they depend on), each with its real Requires-Dist and Requires-Python (from the wheels' METADATA),
served as pure-Python wheels.
"""

from __future__ import annotations

from packaging.utils import canonicalize_name

from tests.servers.index_server import IndexFile

WIN = 'platform_system == "Windows"'

# name -> [(version, requires_python, requires_dist)]
RELEASES: dict[str, list[tuple[str, str | None, tuple[str, ...]]]] = {
    "Flask": [
        (
            "1.0",
            ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*",
            (
                "Werkzeug>=0.14",
                "Jinja2>=2.10",
                "itsdangerous>=0.24",
                "click>=5.1",
            ),
        ),
        (
            "2.2.5",
            ">=3.7",
            (
                "Werkzeug>=2.2.2",
                "Jinja2>=3.0",
                "itsdangerous>=2.0",
                "click>=8.0",
                'importlib-metadata>=3.6.0; python_version < "3.10"',
            ),
        ),
    ],
    "Jinja2": [
        ("2.10", None, ("MarkupSafe>=0.23",)),
        ("2.11.3", ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*", ("MarkupSafe>=0.23",)),
        ("3.0.0", ">=3.6", ("MarkupSafe>=2.0",)),
        ("3.0.3", ">=3.6", ("MarkupSafe>=2.0",)),
        ("3.1.6", ">=3.7", ("MarkupSafe>=2.0",)),
    ],
    "Werkzeug": [("0.15.3", None, ()), ("2.3.8", ">=3.8", ("MarkupSafe>=2.1.1",))],
    "MarkupSafe": [("2.1.5", ">=3.7", ())],
    "itsdangerous": [("2.1.2", ">=3.7", ())],
    "click": [("8.1.7", ">=3.7", (f"colorama; {WIN}",))],
    "colorama": [("0.4.6", ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*,!=3.5.*,!=3.6.*", ())],
    "requests": [
        (
            "2.19.1",
            None,
            (
                "chardet<3.1.0,>=3.0.2",
                "idna<2.8,>=2.5",
                "urllib3<1.24,>=1.21.1",
                "certifi>=2017.4.17",
            ),
        ),
        (
            "2.31.0",
            ">=3.7",
            (
                "charset-normalizer<4,>=2",
                "idna<4,>=2.5",
                "urllib3<3,>=1.21.1",
                "certifi>=2017.4.17",
            ),
        ),
    ],
    "urllib3": [("1.24.1", None, ()), ("1.26.18", None, ())],
    "charset-normalizer": [("3.3.2", ">=3.7.0", ())],
    "chardet": [("3.0.4", None, ())],
    "idna": [("2.7", None, ()), ("3.6", ">=3.5", ())],
    "certifi": [("2023.11.17", ">=3.6", ())],
    "PyYAML": [
        ("5.3", None, ()),
        ("5.4", ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*,!=3.5.*", ()),
    ],
    "Pillow": [("8.1.0", ">=3.6", ()), ("10.0.1", ">=3.8", ())],
    "openai": [("0.28.1", ">=3.7.1", ("requests>=2.20", "tqdm", "aiohttp"))],
    "tqdm": [("4.66.1", ">=3.7", (f"colorama; {WIN}",))],
    "aiohttp": [
        (
            "3.8.1",
            ">=3.6",
            (
                "attrs>=17.3.0",
                "charset-normalizer<3.0,>=2.0",
                "multidict<7.0,>=4.5",
                "async-timeout<5.0,>=4.0.0a3",
                "yarl<2.0,>=1.0",
                "frozenlist>=1.1.1",
                "aiosignal>=1.1.2",
            ),
        ),
        (
            "3.9.2",
            ">=3.8",
            (
                "attrs>=17.3.0",
                "multidict<7.0,>=4.5",
                "yarl<2.0,>=1.0",
                "frozenlist>=1.1.1",
                "aiosignal>=1.1.2",
                'async-timeout<5.0,>=4.0; python_version < "3.11"',
            ),
        ),
    ],
    "attrs": [("23.2.0", ">=3.7", ())],
    "multidict": [("6.0.4", ">=3.7", ())],
    "yarl": [("1.9.4", ">=3.7", ("idna>=2.0", "multidict>=4.0"))],
    "frozenlist": [("1.4.1", ">=3.8", ())],
    "aiosignal": [("1.3.1", ">=3.7", ("frozenlist>=1.1.0",))],
    "async-timeout": [("4.0.3", ">=3.7", ())],
    "pytest": [
        (
            "8.0.0",
            ">=3.8",
            (
                "iniconfig",
                "packaging",
                "pluggy<2.0,>=1.3.0",
                'colorama; sys_platform == "win32"',
                'exceptiongroup>=1.0.0rc8; python_version < "3.11"',
                'tomli>=1.0.0; python_version < "3.11"',
            ),
        )
    ],
    "iniconfig": [("2.0.0", ">=3.7", ())],
    "packaging": [("23.2", ">=3.7", ())],
    "pluggy": [("1.4.0", ">=3.8", ())],
}


def example_index() -> dict[str, list[IndexFile]]:
    """The projects for `IndexServer`: one py3-none-any wheel per release."""
    projects: dict[str, list[IndexFile]] = {}
    for name, releases in RELEASES.items():
        stem = canonicalize_name(name).replace("-", "_")
        projects[name] = [
            IndexFile(
                f"{stem}-{version}-py3-none-any.whl",
                requires_python=requires_python,
                requires_dist=requires_dist,
            )
            for version, requires_python, requires_dist in releases
        ]
    return projects
