"""The fault suite uses the claude stand-ins and the supervisor factory of its neighbours."""

from tests.actors.conftest import supervisor_factory
from tests.claude.conftest import fake_binary

__all__ = ["fake_binary", "supervisor_factory"]
