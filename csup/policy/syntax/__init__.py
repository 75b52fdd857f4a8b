"""Layer 1 of the policy, shell syntax: what a Bash line runs, knowing bash and no program.

The tree-sitter binding (:mod:`.binding`), the walker that turns a line into its simple
commands (:mod:`.walker`), what it produces (:mod:`.command`: ``Command``, ``Redirect``,
``Analysis``), and shell text and words (:mod:`.text`: escapes, command names, braces).
Which programs run code (``bash -c``, ``sudo``, ``python -c``) is not known here: the walker
is given a :class:`~.knowledge.Programs` that knows (see :mod:`csup.policy.programs`).

May import: the standard library and ``csup._record``/``csup._lazy_re`` only, nothing else of
``csup.policy``. Internal: the public API is :mod:`csup.policy`. Imports nothing on import.
"""
