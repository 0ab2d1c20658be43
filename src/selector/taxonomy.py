"""Taxonomies: the domains of the call and the target groups, each with a stable code
and Chinese and English labels.

A :class:`Taxonomy` maps any accepted spelling (code, Chinese label, English label,
extra aliases; case- and space-insensitive) to its stable code.

Examples
--------
>>> DEFAULT_DOMAINS.code_of("健康管理")
'health'
>>> DEFAULT_DOMAINS.code_of("Culture and sports")
'culture'
>>> DEFAULT_DOMAINS.suggest("helth")
'health'
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from pydantic import ConfigDict, Field, PrivateAttr

from selector._errors import CheckedModel

__all__ = ["DEFAULT_DOMAINS", "DEFAULT_TARGET_GROUPS", "Category", "Taxonomy", "normalise_label"]


def normalise_label(text: str) -> str:
    """Fold a label for matching: strip, lower-case, collapse spaces, hyphens, underscores."""
    folded = str(text).strip().casefold()
    for ch in "-_\u3000":
        folded = folded.replace(ch, " ")
    return " ".join(folded.split())


class Category(CheckedModel):
    """One entry of a taxonomy."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(min_length=1, description="stable machine code")
    zh: str = Field(description="Chinese label")
    en: str = Field(description="English label")
    aliases: tuple[str, ...] = ()

    def label(self, lang: str = "en") -> str:
        """The label in ``lang`` ('zh' or 'en')."""
        return self.zh if lang == "zh" else self.en


class Taxonomy(CheckedModel):
    """An ordered set of categories with label lookup."""

    model_config = ConfigDict(frozen=True)

    name: str
    categories: tuple[Category, ...]
    _lookup: dict[str, str] = PrivateAttr(default_factory=dict)

    def model_post_init(self, __context: object) -> None:  # build the lookup once
        lookup: dict[str, str] = {}
        for cat in self.categories:
            for spelling in (cat.code, cat.zh, cat.en, *cat.aliases):
                lookup.setdefault(normalise_label(spelling), cat.code)
        self._lookup = lookup

    @property
    def codes(self) -> tuple[str, ...]:
        """The stable codes, in order."""
        return tuple(c.code for c in self.categories)

    def __iter__(self) -> Iterator[Category]:  # type: ignore[override]
        return iter(self.categories)

    def __len__(self) -> int:
        return len(self.categories)

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def get(self, code: str) -> Category:
        """The category with this code."""
        for cat in self.categories:
            if cat.code == code:
                return cat
        raise KeyError(code)

    def code_of(self, spelling: str) -> str | None:
        """The code for any accepted spelling, or ``None``."""
        return self._lookup.get(normalise_label(spelling))

    def label(self, code: str, lang: str = "en") -> str:
        """The label of ``code`` in ``lang``; the code itself if unknown."""
        try:
            return self.get(code).label(lang)
        except KeyError:
            return code

    def suggest(self, spelling: str) -> str | None:
        """The nearest valid code for a misspelt value, or ``None``."""
        match = difflib.get_close_matches(normalise_label(spelling), list(self._lookup), n=1, cutoff=0.5)
        return self._lookup[match[0]] if match else None

    @classmethod
    def from_codes(cls, name: str, codes: Iterable[str]) -> Taxonomy:
        """A taxonomy whose labels are the codes themselves (e.g. Pabulib categories)."""
        seen = dict.fromkeys(str(c) for c in codes)
        return cls(name=name, categories=tuple(Category(code=c, zh=c, en=c) for c in seen))


DEFAULT_DOMAINS = Taxonomy(
    name="domain",
    categories=(
        Category(code="rights", zh="维权保障", en="Rights protection",
                 aliases=("权益保障", "维权", "rights protection", "legal aid")),
        Category(code="skills", zh="技能提升", en="Skills",
                 aliases=("技能培训", "skills training", "skill")),
        Category(code="health", zh="健康管理", en="Health",
                 aliases=("健康", "health management")),
        Category(code="culture", zh="文体服务", en="Culture and sports",
                 aliases=("文体", "文化体育", "culture & sports", "sports")),
        Category(code="hardship", zh="困难帮扶", en="Hardship aid",
                 aliases=("帮扶", "困难职工帮扶", "hardship")),
        Category(code="migrant", zh="农民工专项服务", en="Migrant-worker services",
                 aliases=("农民工服务", "农民工", "migrant workers", "migrant worker services")),
        Category(code="life", zh="生活服务", en="Life services",
                 aliases=("新型生活服务", "托育", "life", "childcare")),
    ),
)

DEFAULT_TARGET_GROUPS = Taxonomy(
    name="target_groups",
    categories=(
        Category(code="couriers", zh="快递员", en="Couriers", aliases=("快递小哥", "courier")),
        Category(code="food_delivery", zh="外卖送餐员", en="Food-delivery riders",
                 aliases=("外卖骑手", "骑手", "delivery riders")),
        Category(code="ride_hailing", zh="网约车司机", en="Ride-hailing drivers",
                 aliases=("网约车", "ride hailing drivers")),
        Category(code="truck_drivers", zh="货车司机", en="Truck drivers", aliases=("卡车司机",)),
        Category(code="migrant_workers", zh="农民工", en="Migrant workers",
                 aliases=("进城务工人员", "migrant")),
        Category(code="women_workers", zh="女职工", en="Women workers", aliases=("women",)),
        Category(code="frontline_workers", zh="一线职工", en="Frontline workers",
                 aliases=("一线工人",)),
        Category(code="hardship_workers", zh="困难职工", en="Workers in hardship"),
        Category(code="young_workers", zh="青年职工", en="Young workers"),
        Category(code="retired_workers", zh="退休职工", en="Retired workers"),
        Category(code="sanitation_workers", zh="环卫工人", en="Sanitation workers"),
        Category(code="construction_workers", zh="建筑工人", en="Construction workers"),
    ),
)

#: Groups counted as "new employment forms" (新就业形态劳动者) by the example rules.
NEW_EMPLOYMENT_FORMS = ("couriers", "food_delivery", "ride_hailing", "truck_drivers")
