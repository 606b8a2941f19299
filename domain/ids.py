"""Every aggregate's id: uuid5 of a fixed namespace and the aggregate's natural key.

Here, apart from the aggregate classes, so that a command can find (or check for) an aggregate
without building its class: eventsourcing makes every event class a frozen dataclass when the
class is defined, which costs more at start-up than the rest of a reading command. The classes'
own `create_id` methods return these.
"""

from uuid import UUID

try:  # CPython's own SHA-1: hashlib would load OpenSSL first (~3 ms of a reading command's start)
    from _sha1 import sha1
except ImportError:  # an interpreter without it
    from hashlib import sha1


def uuid5(namespace: UUID, name: str) -> UUID:
    """uuid.uuid5, the same bytes (RFC 4122 name-based, SHA-1) without importing hashlib."""
    return UUID(bytes=sha1(namespace.bytes + name.encode()).digest()[:16], version=5)


# Fixed namespaces: never change them, every stored event is filed under these ids.
POSITION_NAMESPACE = UUID("6f1c1f62-5f0e-4c4b-9a55-765062000000")
FRAME_NAMESPACE = UUID("6f1c1f62-5f0e-4c4b-9a55-765062f7a3e0")
APPROPRIATION_NAMESPACE = UUID("6f1c1f62-5f0e-4c4b-9a55-7650620b3e11")
USER_NAMESPACE = UUID("6f1c1f62-5f0e-4c4b-9a55-7650620a11e5")
SETTINGS_ID = uuid5(USER_NAMESPACE, "ledger-settings")


def position_id(ref: str) -> UUID:
    """A position's id from its case reference: a retried apply finds the position it created."""
    return uuid5(POSITION_NAMESPACE, ref)


def frame_id(office: str, scheme: str, year: int) -> UUID:
    return uuid5(FRAME_NAMESPACE, f"{office}|{scheme}|{year}")


def appropriation_id(scheme: str, year: int) -> UUID:
    return uuid5(APPROPRIATION_NAMESPACE, f"{scheme}|{year}")


def user_id(name: str) -> UUID:
    return uuid5(USER_NAMESPACE, f"user:{name}")
