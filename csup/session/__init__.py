"""One session's life: the core state machine, its stop ladder, how it ended, and its owner.

* :mod:`csup.session.core`: :class:`SessionCore`, a plain state machine (no threads, no I/O):
  claude's output, decisions, clock ticks and stop requests in; actions out.
* :mod:`csup.session.ladder`: the stop ladder, step by step (plain functions).
* :mod:`csup.session.outcome`: how a session ended, from what was seen (a plain function).
* :mod:`csup.session.owner`: :class:`SessionOwner`, which feeds one core and carries out
  its actions on a transport; the only writer to its claude. Run by the session actor, or
  by a thread of its own (:class:`csup.claude.runner.ClaudeSession`).
"""
