"""Aggregate ids are uuid5 of fixed namespaces: the ledger's own uuid5 (SHA-1 without loading
OpenSSL) must give exactly the standard library's ids, or stored events would be filed elsewhere."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from grants.domain import ids


@given(st.text(), st.uuids())
def test_uuid5_is_the_standard_librarys(name, namespace):
    assert ids.uuid5(namespace, name) == uuid.uuid5(namespace, name)


def test_every_id_kind_is_pinned():
    # Values as the first version of the ledger filed them (uuid.uuid5 of the same namespaces).
    assert ids.position_id("2021/4711-3") == uuid.uuid5(ids.POSITION_NAMESPACE, "2021/4711-3")
    assert ids.frame_id("innlandet", "765.62", 2021) == uuid.uuid5(ids.FRAME_NAMESPACE, "innlandet|765.62|2021")
    assert ids.appropriation_id("765.62", 2021) == uuid.uuid5(ids.APPROPRIATION_NAMESPACE, "765.62|2021")
    assert ids.user_id("kari") == uuid.uuid5(ids.USER_NAMESPACE, "user:kari")
    assert str(ids.SETTINGS_ID) == str(uuid.uuid5(ids.USER_NAMESPACE, "ledger-settings"))
    assert ids.position_id("2021/4711-3") == uuid.UUID("9f61f48d-7f4b-549a-b743-0e0d4c8545e7")
