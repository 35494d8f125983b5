"""Hybrid search: the README's query fuses full-text and vector hits by reciprocal rank, then walks the graph."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
DIMS = 8
WORDS = ["graph", "database", "sqlite", "vector", "search", "cypher", "query", "index", "file", "node"]


def _readme_query() -> str:
    """The hybrid query as the README shows it, so the example there is the one tested here."""
    section = README.read_text(encoding="utf-8").split("### Hybrid search", 1)[1]
    found = re.search(r"```cypher\n(.*?)```", section, re.S)
    assert found, "the README's hybrid search section has no cypher block"
    return found.group(1)


@pytest.fixture
def corpus(db):
    """40 chunks of random words with random embeddings, each mentioning an entity related to the next."""
    rng = random.Random(5)
    vectors = np.random.default_rng(6).normal(size=(40, DIMS)).round(6).tolist()
    texts = [" ".join(rng.choice(WORDS) for _ in range(6)) for _ in range(40)]
    db.query(
        "UNWIND range(0, 39) AS i "
        "CREATE (:Chunk {text: $texts[i], embedding: $vectors[i]})-[:MENTIONS]->(:Entity {name: 'e' + i})",
        {"texts": texts, "vectors": vectors},
    )
    db.query(
        "MATCH (a:Entity), (b:Entity) WHERE b.name = 'e' + (toInteger(substring(a.name, 1)) + 1) "
        "CREATE (a)-[:RELATED]->(b)"
    )
    db.query("CREATE FULLTEXT INDEX chunk_text FOR (c:Chunk) ON EACH [c.text]")
    db.query(
        "CREATE VECTOR INDEX chunk_embedding FOR (c:Chunk) ON c.embedding "
        f"OPTIONS {{indexConfig: {{`vector.dimensions`: {DIMS}, `vector.similarity_function`: 'cosine'}}}}"
    )
    return db


def _ranking(db, query: str, parameters: dict) -> list[int]:
    return [row[0] for row in db.query(query, parameters).rows]


@pytest.mark.parametrize("text", ["graph database", "sqlite OR vector", "cypher AND query", "nothingmatches"])
def test_the_readme_query_fuses_both_rankings_and_expands_through_mentions(corpus, text):
    embedding = np.random.default_rng(len(text)).normal(size=DIMS).round(6).tolist()
    lexical = _ranking(
        corpus,
        "CALL db.index.fulltext.queryNodes('chunk_text', $text, {limit: 20}) YIELD node RETURN id(node)",
        {"text": text},
    )
    semantic = _ranking(
        corpus,
        "CALL db.index.vector.queryNodes('chunk_embedding', 20, $v) YIELD node RETURN id(node)",
        {"v": embedding},
    )
    fused: dict[int, float] = {}
    for ranking in (lexical, semantic):
        for rank, identity in enumerate(ranking, start=1):
            fused[identity] = fused.get(identity, 0.0) + 1 / (60 + rank)
    best = sorted(fused, key=lambda identity: (-fused[identity], identity))[:5]
    texts = {row[0]: row[1] for row in corpus.query("MATCH (c:Chunk) RETURN id(c), c.text").rows}
    expected = sorted(((texts[identity], fused[identity]) for identity in best), key=lambda pair: (-pair[1], pair[0]))

    rows = corpus.query(_readme_query(), {"text": text, "embedding": embedding}).rows
    assert [(row[0], pytest.approx(row[1])) for row in rows] == expected
    for _text, _rrf, entities, facts in rows:
        assert len(entities) == 1
        assert facts and all(fact.startswith(entities[0] + " RELATED e") for fact in facts)
