"""A local Ray cluster for the backend's tests: a head node that runs no session, and two
worker nodes that do (each has the custom resource ``claude``), started once per test run."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import ray
from ray._private import ray_constants
from ray.cluster_utils import Cluster

from csup.claude.options import SessionOptions
from csup.supervisor import Supervisor

NODE_RESOURCES = {"claude": 4}


def add_session_node(cluster: Cluster) -> Any:
    """A worker node that runs sessions (the head node has no ``claude`` resource)."""
    return cluster.add_node(num_cpus=1, resources=dict(NODE_RESOURCES))


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """Two session nodes and a head; the driver (this process) joined to it."""
    made = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    nodes = [add_session_node(made), add_session_node(made)]
    made.wait_for_nodes()
    ray.init(address=made.address, include_dashboard=False, log_to_driver=False)
    try:
        assert len(nodes) == 2
        yield made
    finally:
        ray.shutdown()
        made.shutdown()


@pytest.fixture
def ray_supervisor(
    cluster: Cluster,
    claude_bin: Path,
    claude_env: Callable[..., dict[str, str]],
    workspace: Path,
) -> Iterator[Callable[..., Supervisor]]:
    """``ray_supervisor(model, max_sessions=4, policy="moderate", escalate=None,
    **backend_options)``: a
    supervisor whose sessions run on the cluster's nodes; closed at teardown."""
    made: list[Supervisor] = []

    def make(
        model: Any,
        max_sessions: int = 4,
        policy: Any = "moderate",
        escalate: Any = None,
        **backend_options: Any,
    ) -> Supervisor:
        defaults = SessionOptions(cwd=workspace, env=claude_env(model), claude_bin=claude_bin)
        sup = Supervisor(
            max_sessions,
            policy,
            options=defaults,
            backend="ray",
            backend_options={"resources": {"claude": 1}, **backend_options},
            escalate=escalate,
        )
        made.append(sup)
        return sup

    yield make
    for sup in made:
        sup.close()


def processes_with(needle: str, *, exact: bool = False) -> list[psutil.Process]:
    """Every process on this machine (every node of the local cluster) whose command line
    contains ``needle`` (with ``exact``, as one of its arguments)."""
    found = []
    for proc in psutil.process_iter():
        try:
            argv = proc.cmdline()
            if proc.pid != os.getpid() and (needle in argv if exact else needle in " ".join(argv)):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def await_processes(needle: str, count: int, timeout: float = 90) -> list[psutil.Process]:
    """Wait until ``count`` processes have ``needle`` as an argument."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        found = processes_with(needle, exact=True)
        if len(found) >= count:
            return found
        pause.wait(0.05)
    raise AssertionError(f"{count} processes running {needle!r} did not appear in {timeout}s")


def await_gone(needle: str, timeout: float = 20) -> list[psutil.Process]:
    """Wait until no process runs ``needle``; those still running after ``timeout``."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    left = processes_with(needle)
    while left and time.monotonic() < deadline:
        pause.wait(0.05)
        left = [p for p in processes_with(needle) if p.status() != psutil.STATUS_ZOMBIE]
    return left


def node_of(proc: psutil.Process, cluster: Cluster) -> Any:
    """The cluster node whose raylet ``proc`` descends from."""
    ancestors = {parent.pid for parent in proc.parents()}
    for node in cluster.worker_nodes:
        raylets = node.all_processes.get(ray_constants.PROCESS_TYPE_RAYLET, [])
        if any(info.process.pid in ancestors for info in raylets):
            return node
    raise AssertionError(f"process {proc.pid} runs on no worker node of the cluster")
