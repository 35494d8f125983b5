"""GraphML: files from APOC and networkx, refused DTDs and entities, malformed XML and bad values by line."""

from __future__ import annotations

import pytest

import bfxdb
from bfxdb.cli import main
from bfxdb.formats import ImportOptions, import_files, import_identity

APOC_GRAPHML = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
<key id="name" for="node" attr.name="name" attr.type="string"/>
<key id="born" for="node" attr.name="born" attr.type="long"/>
<key id="labels" for="node" attr.name="labels" attr.type="string"/>
<key id="roles" for="edge" attr.name="roles" attr.type="string"/>
<key id="label" for="edge" attr.name="label" attr.type="string"/>
<key id="w" for="edge" attr.name="w" attr.type="double"><default>1.0</default></key>
<graph id="G" edgedefault="directed">
<node id="n0" labels=":Person:Actor"><data key="labels">:Person:Actor</data><data key="name">Keanu</data><data key="born">1964</data></node>
<node id="n1" labels=":Movie"><data key="labels">:Movie</data><data key="name">The Matrix</data></node>
<edge id="e0" source="n0" target="n1" label="ACTED_IN"><data key="label">ACTED_IN</data><data key="roles">Neo</data></edge>
<edge source="n1" target="n0" directed="false"/>
</graph>
</graphml>
"""  # noqa: E501  (APOC writes each element on one line)


def test_graphml_from_apoc(text_file, db):
    path = text_file("movies.graphml", APOC_GRAPHML)
    report = import_files(db, [path])
    assert (report.substrates, report.relationships) == (2, 2)
    keanu = db.get_substrate(import_identity("n0"))
    assert keanu.labels == ("Actor", "Person") and keanu.metadata == {"name": "Keanu", "born": 1964}
    acted, other = sorted(db.find_relationships(), key=lambda r: r.rel_type)
    assert acted.rel_type == "ACTED_IN" and acted.metadata == {"roles": "Neo", "w": 1.0}
    assert other.rel_type == "RELATED" and other.bidirectional


def test_graphml_from_networkx(tmp_path, db):
    networkx = pytest.importorskip("networkx")
    graph = networkx.DiGraph()
    graph.add_node("a", weight=2.5, name="A")
    graph.add_node("b", flag=True)
    graph.add_edge("a", "b", cost=3)
    networkx.write_graphml(graph, tmp_path / "nx.graphml")
    import_files(db, [tmp_path / "nx.graphml"])
    assert db.get_substrate(import_identity("a")).metadata == {"weight": 2.5, "name": "A"}
    assert db.get_substrate(import_identity("b")).metadata == {"flag": True}
    [edge] = db.find_relationships()
    assert edge.metadata == {"cost": 3}


@pytest.mark.parametrize(
    "prolog, reason",
    [
        ('<!DOCTYPE graphml [<!ENTITY boom "boom">]>', "DTD"),
        ('<!DOCTYPE graphml SYSTEM "http://example.invalid/graphml.dtd">', "DTD"),
    ],
)
def test_graphml_with_a_dtd_or_entities_is_refused(text_file, runner, db_path, prolog, reason):
    text = f'<?xml version="1.0"?>\n{prolog}\n<graphml><graph><node id="&boom;"/></graph></graphml>\n'
    path = text_file("evil.graphml", text)
    result = runner.invoke(main, ["import", str(db_path), str(path), "--skip-bad"])
    assert result.exit_code == 1
    assert f"{path}:2:" in result.stderr and reason in result.stderr


def test_billion_laughs_is_refused_before_any_expansion(text_file, db):
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {c} "&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};">' for p, c in zip("abcdefgh", "bcdefghi")
    )
    path = text_file(
        "lol.graphml",
        f'<?xml version="1.0"?><!DOCTYPE g [{entities}]><graphml><graph><node id="&i;"/></graph></graphml>',
    )
    with pytest.raises(bfxdb.InvalidInput, match="DTD"):
        import_files(db, [path])


def test_malformed_graphml_names_the_line(text_file, db):
    path = text_file("broken.graphml", '<graphml>\n<graph>\n<node id="a">\n</graph>\n')
    with pytest.raises(bfxdb.InvalidInput, match=r"broken.graphml:4: not well-formed XML"):
        import_files(db, [path])


def test_graphml_bad_values_are_bad_rows(text_file, db):
    text = APOC_GRAPHML.replace('<data key="born">1964</data>', '<data key="born">soon</data>')
    path = text_file("movies.graphml", text)
    bad: list[tuple[str, str]] = []
    import_files(db, [path], options=ImportOptions(skip_bad=True), on_bad=lambda *row: bad.append(row))
    assert bad[0] == (f"{path}:10", "data 'born': 'soon' is not an integer")
