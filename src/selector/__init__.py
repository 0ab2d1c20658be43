"""selector: exact, explainable selection of proposals for public funding.

Three lines::

    import selector
    proposals = selector.load_proposals("examples/proposals.csv")
    result = selector.select(proposals, selector.load_rules("examples/rules.toml"))

The public names are listed in ``__init__.pyi`` (the type stub beside this file) and
imported on first use (:func:`lazy_loader.attach_stub`), so ``import selector`` and
``selector --help`` do not load the solver, pandas, SQLAlchemy or matplotlib. To export a
new name, add its import to ``__init__.pyi`` and its name to ``__all__`` there.
"""

from __future__ import annotations

import lazy_loader

__version__ = "0.1.0"

__getattr__, __dir__, _lazy_names = lazy_loader.attach_stub(__name__, __file__)
__all__ = [*_lazy_names, "__version__"]
