"""The network layer, below the caller (`cocalc_api._caller`): what httpx2 sends through.

- `pool`: the leaf; pool limits, socket options, the settings SDK-made clients start from.
- `tls`: the shared certificate context.
- `sync_backend`: httpcore2's sockets with every wait cut to the call's deadline.
- `asyncio_backend`: asyncio's own transports for the async pool.
- `aiohttp_client`: `DefaultAioHttpClient`, on aiohttp's pool (the `aiohttp` extra).
- `http_clients`: `DefaultHttpxClient`, `DefaultAsyncHttpxClient` on those backends.
"""
