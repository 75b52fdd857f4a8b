"""Layer 2 of the policy, program knowledge as data: what programs do with their arguments.

Wrappers (``sudo``, ``env``, ``xargs``, ``find -exec``: :mod:`.wrappers`), interpreters and
the commands hidden in their code (:mod:`.inline`), what programs hand to a shell or write
(:mod:`.runs`), option parsing (:mod:`.flags`), the catalog of destroyers and credential
printers (:mod:`.catalog`, :mod:`.catalog_match`) and the places paths point at (secrets,
system directories, csup's control files, temporary directories: :mod:`.paths`).
:mod:`.knowledge` wires this knowledge into the shell walker: its ``analyse(script)`` is the
entry the rules and the engine use.

May import: :mod:`csup.policy.syntax` and the standard library; never the rules or the
engine. Internal: the public API is :mod:`csup.policy`. Imports nothing on import.
"""
