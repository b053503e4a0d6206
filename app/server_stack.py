"""The server stack uvicorn runs on: uvloop's event loop and httptools' HTTP parser.

Named explicitly (not uvicorn's "auto") so a missing dependency fails at start instead of
silently serving at a third of the speed on asyncio and h11. The benchmark's ceiling uses it too.
"""

from __future__ import annotations

from typing import Any

SERVER_STACK: dict[str, Any] = {"loop": "uvloop", "http": "httptools", "ws": "none"}
