"""The deployment files (issue 23, item 8): compose as `docker-compose config` reads it, the image, the lock.

There is no Docker engine here: compose is validated by Debian's docker-compose (or the
`docker compose` plugin), and the Dockerfile by reading it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[1]


def _compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    message = "docker-compose is not installed (apt-get install -y docker-compose)"
    if IN_CI:
        pytest.fail(f"{message}; CI must provide it", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose file as the tool resolves it, with the import profile enabled."""
    done = subprocess.run(
        [*_compose_command(), "--profile", "import", "config"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_api_scales_behind_one_published_port(compose: dict[str, Any]) -> None:
    services = compose["services"]
    published = {name: service["ports"] for name, service in services.items() if service.get("ports")}
    assert list(published) == ["nginx"] and len(published["nginx"]) == 1  # `--scale api=N` needs no free host port
    api = services["api"]
    assert api["command"][:1] == ["serve"] and "--workers" in api["command"]
    assert api["environment"]["DATABASE_READ_URL"] == "postgresql://movies@postgres-replica:5432/movies"
    assert services["nginx"]["image"].startswith("nginx:")
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server api:8000 resolve;" in nginx and "limit_req zone=per_client" in nginx
    assert "limit_req_zone $binary_remote_addr" in nginx
    # Slow clients are cut at the load balancer: uvicorn has no timeout for reading a request.
    assert "client_header_timeout 10s;" in nginx and "client_body_timeout 10s;" in nginx
    assert "limit_conn connections_per_client 64;" in nginx


def test_databases_cache_and_importer(compose: dict[str, Any]) -> None:
    services = compose["services"]
    replica = services["postgres-replica"]
    assert "pg_basebackup" in (ROOT / "deploy" / "postgres" / "replica.sh").read_text()
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "wal_level=replica" in services["postgres"]["command"]
    redis_command = services["redis"]["command"]
    assert redis_command[redis_command.index("--maxmemory-policy") + 1] == "allkeys-lru"
    assert "--maxmemory" in redis_command and redis_command[redis_command.index("--appendonly") + 1] == "no"
    importer = services["importer"]
    assert importer["profiles"] == ["import"] and importer["entrypoint"] == ["movie-stats-entrypoint", "import"]
    assert importer["restart"] == "no"


def test_health_checks_restart_policies_and_no_inline_password(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name == "importer":
            continue
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["start_period"], name
    text = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"PASSWORD:\s*\S+(?<!_FILE)\s*$", text, re.MULTILINE)
    assert not re.search(r"postgresql://[^@/\s]*:[^@/\s]*@", text)  # no password in any URL
    assert compose["secrets"]["db_password"]["file"].endswith("deploy/secrets/db_password")
    assert all("db_password" in str(compose["services"][name]["secrets"]) for name in ("api", "postgres", "importer"))


def test_the_image_is_multi_stage_locked_non_root_and_checks_its_health() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)$", dockerfile, re.MULTILINE)
    assert stages == ["graphiql", "python", "runtime"]
    assert "COPY app/graphiql/package.json app/graphiql/package-lock.json ./" in dockerfile
    assert "RUN npm ci " in dockerfile
    assert "pip install --require-hashes --no-deps -r /tmp/requirements.lock" in dockerfile
    assert re.search(r"^USER movies:movies$", dockerfile, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK --interval=\S+ --timeout=\S+ --start-period=\S+", dockerfile, re.MULTILINE)


def test_the_lock_pins_every_dependency_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = (ROOT / "requirements.lock").read_text()
    pinned = dict(re.findall(r"^([a-z0-9-]+)==(\S+) \\$", lock, re.MULTILINE))
    for requirement in project["dependencies"]:
        name = re.split(r"[\[<>=]", requirement)[0].lower()
        assert name in pinned, f"{name} is not in requirements.lock: run the command at its top"
    assert lock.count("==") == len(pinned) and lock.count("--hash=sha256:") >= len(pinned)
