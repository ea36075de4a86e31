"""depsentry: a Python dependency-security monitor and codemod CLI."""

__version__ = "0.1.0"
