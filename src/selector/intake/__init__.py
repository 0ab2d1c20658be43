"""Intake: from raw workers' suggestions to a proposals draft, at scale.

A suggestion drive collects up to millions of short texts (mobile app, WeChat, hotline,
grassroots unions), most of them repeating a few thousand asks. :func:`intake` turns them
into candidates a planner can cost, and says how many workers asked for each::

    result = selector.intake("suggestions.csv", out="candidates.csv")
    result.counts            # rows read, set aside by kind, clusters, candidates
    result.problems          # every kind of problem with its first rows
    result.to_frame()        # the proposals draft (worker_votes = distinct supporters)
    result.clusters          # one row per cluster, with its breakdowns
    result.members           # every row: its cluster, candidate and status

    selector.intake("suggestions.csv", out="candidates.csv", min_supporters=5,
                    options=IntakeOptions(threshold=0.7, encoding="gb18030"))

The pipeline
------------
1. **Read** the file in chunks of ``chunk_size`` rows (:mod:`selector.intake._read`):
   memory follows the chunk, not the file.
2. **Sketch** each chunk (:mod:`selector.intake._sketch`, a pure function, so it runs
   here or on Dask workers): normalise the text (NFKC, case, no spaces, punctuation or
   emoji), set aside blank, empty, emoji-only and too-short texts, flag mixed scripts,
   unknown submitter types and unreadable dates, count each domain's keywords, and
   compute one MinHash signature (datasketch) per distinct normalised text.
3. **Cluster** (:mod:`selector.intake._cluster`): rows repeating an earlier row's id
   and text are counted once; distinct texts whose LSH band values collide and whose
   estimated Jaccard similarity reaches ``threshold`` are joined; clusters are the
   connected components, numbered by their first row. Supporters are distinct
   submitters (or suggestion ids), per cluster, district and target group.
4. **Draft**: read the file once more for the representative texts (the text most of
   the cluster's rows share) and, with ``out=``, write the members file; each cluster
   with at least ``min_supporters`` supporters becomes a candidate ``S0001``... with
   ``worker_votes`` = its supporters, a domain routed by keywords, its target groups
   and district, and empty ``cost``, ``beneficiaries`` and ``indicators`` for the
   planner to fill (``selector validate`` lists every one missing; ``selector intake
   --costs`` joins a file of estimates).

Nothing is dropped silently: every row read is in the members file with its status
(clustered, or why not), and :attr:`IntakeResult.counts` adds up to the rows read.

With ``executor=client`` (a Dask ``distributed.Client``) step 2 runs on the cluster's
workers, a few chunks in flight; steps 3-4 run here on a few dozen bytes per row plus one
signature (``4 * num_perm`` bytes) per distinct text. The result equals the local one.

Note: ``selector.intake`` is the function (as ``selector.explain`` is); import the
module's other names with ``from selector.intake import generate_suggestions``.
"""

from __future__ import annotations

from selector.intake._pipeline import (
    DRAFT_FIELDS,
    KEYWORDS,
    SUBMITTER_TYPES,
    IntakeOptions,
    IntakeResult,
    fill_estimates,
    intake,
)
from selector.intake._read import FIELDS
from selector.intake._sketch import key_text, shingles
from selector.intake.corpus import generate_suggestions

__all__ = [
    "DRAFT_FIELDS",
    "FIELDS",
    "KEYWORDS",
    "SUBMITTER_TYPES",
    "IntakeOptions",
    "IntakeResult",
    "fill_estimates",
    "generate_suggestions",
    "intake",
    "key_text",
    "shingles",
]
