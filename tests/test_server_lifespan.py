"""What the server opens it closes: a datastore built from a factory is closed when the server stops (the end of a
session here, of stdio or HTTP in `serve`), and opened again by a later call; one handed in stays the caller's."""

from zoneinfo import ZoneInfo

import anyio
from mcp import Client

from imageset_search.datastores.local.store import LocalStore
from imageset_search.server.app import create_server
from imageset_search.tools.settings import Settings


class CountedStore(LocalStore):
    """A real local store that counts how often it is closed."""

    closes = 0

    def close(self) -> None:
        self.closes += 1
        super().close()


def list_datastores(server) -> None:
    async def run():
        async with Client(server) as client:
            result = await client.call_tool("list_datastores", {})
            assert not result.is_error

    anyio.run(run)


def test_a_datastore_the_server_opened_is_closed_when_it_stops(tmp_path):
    opened: list[CountedStore] = []

    def factory():
        opened.append(CountedStore(tmp_path / "store.sqlite3"))
        return opened[-1]

    server = create_server(factory, Settings(tz=ZoneInfo("UTC")))
    list_datastores(server)
    assert [store.closes for store in opened] == [1]
    list_datastores(server)
    assert [store.closes for store in opened] == [1, 1]


def test_a_datastore_handed_in_stays_open_for_its_owner(tmp_path):
    with CountedStore(tmp_path / "store.sqlite3") as store:
        list_datastores(create_server(store, Settings(tz=ZoneInfo("UTC"))))
        assert store.closes == 0
        assert store.list_datastores()["datastoreSummaries"] == []
