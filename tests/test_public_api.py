"""Keep the public API honest: ``__all__`` lists exactly the public names ``selector`` exposes."""

from __future__ import annotations

import types

import selector


def test_all_names_exist_and_are_unique() -> None:
    assert len(set(selector.__all__)) == len(selector.__all__)
    missing = [n for n in selector.__all__ if not hasattr(selector, n)]
    assert missing == []


def test_every_public_object_is_listed() -> None:
    public = {
        name for name, obj in vars(selector).items()
        if not name.startswith("_") and not isinstance(obj, types.ModuleType)
    }
    public.discard("annotations")  # the __future__ feature, not ours
    assert public - set(selector.__all__) == set()


def test_error_tree() -> None:
    assert issubclass(selector.InvalidInputError, ValueError)
    assert issubclass(selector.SolverError, RuntimeError)
    for err in (selector.InvalidInputError, selector.InfeasibleError, selector.SolverError,
                selector.ReserveError):
        assert issubclass(err, selector.SelectorError)
