"""aioresponses 0.7.9 predates aiohttp 3.14's `stream_writer` argument to `ClientResponse`.

Tests that pin a client's wire format with aioresponses use `CompatResponse` (pass it as
`response_class=`, or patch `aioresponses.core.ClientResponse` with it).
"""

from types import SimpleNamespace
from typing import Any

import aiohttp
from yarl import URL


class CompatResponse(aiohttp.ClientResponse):
    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)
