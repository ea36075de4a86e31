"""Which upgrade each codemod handles, readable without importing libcst (fix and scan ask it).

Each registered codemod has one entry here matching its PACKAGE, FROM and TO (a test checks), and
may have more for other boundaries its rewrites cover (every row names a registered codemod).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["UPGRADES", "Upgrade", "codemods_for"]


# A NamedTuple, not a frozen dataclass: about 5x cheaper to define, on every scan's start-up.
class Upgrade(NamedTuple):
    """Moving `package` from a version in `from_range` to one in `to_range` is `codemod`'s job."""

    package: str
    from_range: str
    to_range: str
    codemod: str


UPGRADES: tuple[Upgrade, ...] = (
    Upgrade("openai", "<1", ">=1", "openai-v1"),
    Upgrade("langchain", "<1", ">=1", "langchain-imports"),  # old paths removed in 1.0
    Upgrade("langchain", "<0.1", ">=0.1", "langchain-imports"),  # integrations split out
    Upgrade("langchain", "<0.2", ">=0.2", "langchain-imports"),  # no longer re-exported
    # 0.4 deleted the classes it had deprecated for partner packages (ChatOpenAI, ...).
    Upgrade("langchain-community", "<0.4", ">=0.4", "langchain-imports"),
    # aioredis is abandoned: any move of it is a move to redis.asyncio.
    Upgrade("aioredis", ">=0", ">=0", "redis-asyncio"),
    Upgrade("redis", "<3", ">=3", "redis-asyncio"),
)


class _CodemodTable:
    """`codemods_for`: a callable that also says which packages it knows (`packages`), so a
    scan skips every other package's findings without asking once per finding."""

    packages: frozenset[str] = frozenset(upgrade.package for upgrade in UPGRADES)

    def __call__(self, package: str, current: str, target: str) -> tuple[str, ...]:
        """Names of the codemods that migrate code across `package`'s upgrade from `current`
        to `target`."""
        if package not in self.packages:
            return ()  # most packages: a scan need not import packaging.specifiers for them
        from packaging.specifiers import SpecifierSet

        return tuple(
            dict.fromkeys(
                upgrade.codemod
                for upgrade in UPGRADES
                if upgrade.package == package
                and SpecifierSet(upgrade.from_range).contains(current, prereleases=True)
                and SpecifierSet(upgrade.to_range).contains(target, prereleases=True)
            )
        )


codemods_for = _CodemodTable()
