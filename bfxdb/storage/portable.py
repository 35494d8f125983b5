"""The SQL that SQLite and PostgreSQL read alike, over the same tables: written once for both backends."""

from __future__ import annotations

#: Every label in use, sorted.
DISTINCT_LABELS = (
    "SELECT n.name FROM names AS n WHERE EXISTS (SELECT 1 FROM substrate_labels AS l WHERE l.label = n.id) "
    "ORDER BY n.name"
)
#: Every relationship type in use, sorted.
DISTINCT_RELATIONSHIP_TYPES = (
    "SELECT name FROM names WHERE id IN (SELECT DISTINCT rel_type FROM relationships) ORDER BY name"
)
#: (label, substrates with it), by label.
LABEL_COUNTS = (
    "SELECT n.name, count(*) FROM substrate_labels AS l JOIN names AS n ON n.id = l.label "
    "GROUP BY n.name ORDER BY n.name"
)
#: How many substrates have no label.
UNLABELLED_COUNT = (
    "SELECT count(*) FROM substrates AS s WHERE NOT EXISTS (SELECT 1 FROM substrate_labels AS l WHERE l.node = s.node)"
)
#: (relationship type, relationships of it), by type.
RELATIONSHIP_TYPE_COUNTS = (
    "SELECT n.name, count(*) FROM relationships AS r JOIN names AS n ON n.id = r.rel_type "
    "GROUP BY n.name ORDER BY n.name"
)
#: (expression type, substrates with it), by type.
EXPRESSION_COUNTS = (
    "SELECT expression_type, count(*) FROM substrates WHERE expression_type IS NOT NULL "
    "GROUP BY expression_type ORDER BY expression_type"
)
