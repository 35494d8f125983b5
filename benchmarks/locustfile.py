"""A Locust load profile for a running `bfxdb serve`: reads, invokes, 2-hop queries and a few writes.

Run: locust -f benchmarks/locustfile.py --host http://127.0.0.1:8000
(set BFXDB_API_KEY in the environment when the server has keys). For a long run that checks
every acknowledged write afterwards, use benchmarks/soak.py: its Python client holds about twice
the load Locust does on two cores.
"""

from __future__ import annotations

import os
import random

from locust import HttpUser, between, task

MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'
TWO_HOPS = "MATCH (a)-[:LINK]->(b)-[:LINK]->(c) WHERE id(a) = $id RETURN c LIMIT 20"
API = "/api/v1"


class GraphUser(HttpUser):
    """A client that builds a small neighbourhood of its own, then mostly reads it."""

    wait_time = between(0.01, 0.1)

    def on_start(self) -> None:
        key = os.environ.get("BFXDB_API_KEY", "").split()
        if key:
            self.client.headers["Authorization"] = f"Bearer {key[0]}"
        with self.client.post(f"{API}/substrates", json={"expression_code": MULTIPLY}, catch_response=True) as reply:
            # 409 is expected: every user creates the same expression, and the answer names it either way.
            if reply.status_code in (201, 409):
                reply.success()
            self.multiply = reply.json().get("substrate_id")
        self.nodes = [self.client.post(f"{API}/substrates", json={"metadata": {"n": n}}).json()["substrate_id"]
                      for n in range(10)]
        for source in self.nodes:
            for target in random.sample(self.nodes, 3):
                self.client.post(
                    f"{API}/relationships", json={"rel_type": "LINK", "source_id": source, "target_id": target}
                )

    @task(10)
    def get_substrate(self) -> None:
        self.client.get(f"{API}/substrates/{random.choice(self.nodes)}", name=f"{API}/substrates/[id]")

    @task(5)
    def invoke(self) -> None:
        if self.multiply is None:
            return
        self.client.post(
            f"{API}/substrates/{self.multiply}/invoke",
            json={"parameters": {"x": random.randint(0, 99), "y": random.randint(0, 99)}},
            name=f"{API}/substrates/[id]/invoke",
        )

    @task(3)
    def two_hop_query(self) -> None:
        start = int(random.choice(self.nodes), 16)
        self.client.post(f"{API}/query", json={"query": TWO_HOPS, "parameters": {"id": start}, "read_only": True})

    @task(2)
    def outgoing(self) -> None:
        self.client.get(
            f"{API}/relationships/outgoing/{random.choice(self.nodes)}", name=f"{API}/relationships/outgoing/[id]"
        )

    @task(1)
    def query_write(self) -> None:
        self.client.post(f"{API}/query", json={"query": "CREATE (n:Scratch {k: $k}) RETURN id(n) AS id",
                                               "parameters": {"k": random.randint(0, 99)}})

    @task(1)
    def create_and_delete(self) -> None:
        created = self.client.post(f"{API}/substrates", json={"metadata": {"scratch": True}}).json()
        self.client.delete(f"{API}/substrates/{created['substrate_id']}", name=f"{API}/substrates/[id]")
