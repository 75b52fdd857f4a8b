"""Sessions on a Ray cluster: ``Supervisor(backend="ray")`` and ``csup multi --backend ray``.

What runs where: the driver (the process with the :class:`~csup.supervisor.Supervisor`)
keeps the queue, the board, the stats, the signals and the record. Each session runs in a
Ray actor (:mod:`csup.ray.runner`) on some node, with its claude a subprocess of that actor
and its policy evaluated in that actor (the policy is shipped with the session), so a
decision never crosses the network. What the session reports flows back to the driver in
batches and is replayed, in order, on the supervisor's observer (:mod:`csup.ray.reports`).

This package imports Ray; ``import csup`` does not import this package (the ``csup[ray]``
extra is optional).
"""

from csup.ray.backend import RayBackend

__all__ = ["RayBackend"]
