#encoding: utf-8

# Written for bfxdb from the semantics of the Neo4j 5 Cypher manual (FOREACH).
Feature: Foreach - FOREACH runs updating clauses once per element of a list

  Scenario: [1] CREATE once per element
    Given an empty graph
    When executing query:
      """
      FOREACH (i IN [1, 2, 3] | CREATE (:N {age: i}))
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 3 |
      | +labels     | 1 |
      | +properties | 3 |

  Scenario: [2] SET over the nodes of a path, rows unchanged
    Given an empty graph
    And having executed:
      """
      CREATE (:S {name: 'a'})-[:NEXT]->(:S {name: 'b'})-[:NEXT]->(:S {name: 'c'})
      """
    When executing query:
      """
      MATCH p = (:S {name: 'a'})-[:NEXT*]->(:S {name: 'c'})
      FOREACH (n IN nodes(p) | SET n.seen = true)
      RETURN length(p) AS hops
      """
    Then the result should be, in any order:
      | hops |
      | 2    |
    And the side effects should be:
      | +properties | 3 |

  Scenario: [3] MERGE inside FOREACH sees what earlier elements created
    Given an empty graph
    When executing query:
      """
      FOREACH (name IN ['x', 'y', 'x'] | MERGE (:Tag {name: name}))
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 2 |
      | +labels     | 1 |
      | +properties | 2 |

  Scenario: [4] Nested FOREACH
    Given an empty graph
    When executing query:
      """
      FOREACH (i IN [1, 2] |
        FOREACH (j IN [10, 20] |
          CREATE (:Cell {i: i, j: j})))
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 4 |
      | +labels     | 1 |
      | +properties | 8 |

  Scenario: [5] DELETE and REMOVE inside FOREACH
    Given an empty graph
    And having executed:
      """
      CREATE (:Old {k: 1}), (:Old {k: 2}), (:Keep:Mark {k: 3})
      """
    When executing query:
      """
      MATCH (o:Old) WITH collect(o) AS olds
      MATCH (k:Keep)
      FOREACH (o IN olds | DETACH DELETE o)
      FOREACH (x IN [1] | REMOVE k:Mark, k.k)
      """
    Then the result should be empty
    And the side effects should be:
      | -nodes      | 2 |
      | -labels     | 2 |
      | -properties | 3 |

  Scenario: [6] A null list does nothing
    Given an empty graph
    When executing query:
      """
      FOREACH (x IN null | CREATE (:N))
      """
    Then the result should be empty
    And no side effects

  Scenario: [7] What FOREACH binds stays inside it
    Given any graph
    When executing query:
      """
      FOREACH (x IN [1] | CREATE (m:N))
      RETURN m
      """
    Then a SyntaxError should be raised at compile time: UndefinedVariable

  Scenario: [8] Only updating clauses inside
    Given any graph
    When executing query:
      """
      FOREACH (x IN [1] | MATCH (n) SET n.x = x)
      """
    Then a SyntaxError should be raised at compile time: InvalidClauseComposition

  Scenario: [9] A value that is known not to be a list fails at compile time
    Given any graph
    When executing query:
      """
      WITH 1 AS one
      FOREACH (x IN one | CREATE (:N))
      """
    Then a SyntaxError should be raised at compile time: InvalidArgumentType

  Scenario: [10] A value that turns out not to be a list fails when it is read
    Given any graph
    And parameters are:
      | items | 1 |
    When executing query:
      """
      FOREACH (x IN $items | CREATE (:N))
      """
    Then a TypeError should be raised at runtime: InvalidArgumentType

  Scenario: [11] FOREACH inside a unit CALL subquery
    Given an empty graph
    When executing query:
      """
      UNWIND [[1, 2], [3]] AS batch
      CALL (batch) {
        FOREACH (v IN batch | CREATE (:V {v: v}))
      }
      RETURN count(*) AS rows
      """
    Then the result should be, in any order:
      | rows |
      | 2    |
    And the side effects should be:
      | +nodes      | 3 |
      | +labels     | 1 |
      | +properties | 3 |
