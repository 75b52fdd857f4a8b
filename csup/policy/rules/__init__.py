"""Layer 3 of the policy, the rule families: what is dangerous in an analysed command line.

:mod:`.base` holds what every family uses (``Finding``, ``Context``, the rule registry,
``deny``/``ask``); one module per family (:mod:`.delete`, :mod:`.fs`, :mod:`.exec`,
:mod:`.git`, :mod:`.infra`, :mod:`.catalog`, :mod:`.shipping`, :mod:`.session`, :mod:`.tools`
for the tools other than Bash); :mod:`.judge` runs every family over an analysis.

May import: :mod:`csup.policy.programs`, :mod:`csup.policy.syntax` and the standard library,
and other rule modules without a cycle; never the engine (session memory is seen through the
``Memory`` protocol of :mod:`.base`). Internal: the public API is :mod:`csup.policy`.
Imports nothing on import.
"""
