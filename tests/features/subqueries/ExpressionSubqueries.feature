#encoding: utf-8

# Written for bfxdb from the semantics of the Neo4j 5 Cypher manual (EXISTS, COUNT and COLLECT subqueries).
Feature: ExpressionSubqueries - EXISTS { }, COUNT { } and COLLECT { } read the enclosing variables

  Background:
    Given an empty graph
    And having executed:
      """
      CREATE (ann:Person {name: 'Ann'}), (bob:Person {name: 'Bob'}), (cy:Person {name: 'Cy'}),
             (ann)-[:HAS_DOG]->(:Dog {name: 'Rex'}),
             (ann)-[:HAS_DOG]->(:Dog {name: 'Fido'}),
             (bob)-[:HAS_CAT]->(:Cat {name: 'Tom'}),
             (ann)-[:KNOWS]->(bob)
      """

  Scenario: [1] The short COUNT form counts the matches of a pattern
    When executing query:
      """
      MATCH (p:Person)
      RETURN p.name AS name, COUNT { (p)-[:HAS_DOG]->(:Dog) } AS dogs
      """
    Then the result should be, in any order:
      | name  | dogs |
      | 'Ann' | 2    |
      | 'Bob' | 0    |
      | 'Cy'  | 0    |
    And no side effects

  Scenario: [2] The short COUNT form with WHERE, used in WHERE
    When executing query:
      """
      MATCH (p:Person)
      WHERE COUNT { (p)-[:HAS_DOG]->(d:Dog) WHERE d.name STARTS WITH 'R' } = 1
      RETURN p.name AS name
      """
    Then the result should be, in any order:
      | name  |
      | 'Ann' |
    And no side effects

  Scenario: [3] COUNT over a full query without RETURN counts its rows
    When executing query:
      """
      MATCH (p:Person)
      RETURN p.name AS name, COUNT { MATCH (p)-[:KNOWS]->(f) WHERE f.name = 'Bob' } AS c
      """
    Then the result should be, in any order:
      | name  | c |
      | 'Ann' | 1 |
      | 'Bob' | 0 |
      | 'Cy'  | 0 |
    And no side effects

  Scenario: [4] COUNT with a UNION counts the combined rows
    When executing query:
      """
      MATCH (p:Person)
      RETURN p.name AS name, COUNT {
        MATCH (p)-[:HAS_DOG]->(d) RETURN d.name AS pet
        UNION
        MATCH (p)-[:HAS_CAT]->(c) RETURN c.name AS pet
      } AS pets
      """
    Then the result should be, in any order:
      | name  | pets |
      | 'Ann' | 2    |
      | 'Bob' | 1    |
      | 'Cy'  | 0    |
    And no side effects

  Scenario: [5] COLLECT gives the list of the one column its RETURN gives
    When executing query:
      """
      MATCH (p:Person {name: 'Ann'})
      RETURN COLLECT { MATCH (p)-[:HAS_DOG]->(d) RETURN d.name ORDER BY d.name } AS dogs
      """
    Then the result should be, in order:
      | dogs            |
      | ['Fido', 'Rex'] |
    And no side effects

  Scenario: [6] COLLECT with a UNION, and an empty list when nothing matches
    When executing query:
      """
      MATCH (p:Person)
      RETURN p.name AS name, COLLECT {
        MATCH (p)-[:HAS_DOG]->(d) RETURN d.name AS pet
        UNION
        MATCH (p)-[:HAS_CAT]->(c) RETURN c.name AS pet
      } AS pets
      """
    Then the result should be (ignoring element order for lists):
      | name  | pets            |
      | 'Ann' | ['Rex', 'Fido'] |
      | 'Bob' | ['Tom']         |
      | 'Cy'  | []              |
    And no side effects

  Scenario: [7] COLLECT in WHERE
    When executing query:
      """
      MATCH (p:Person)
      WHERE 'Tom' IN COLLECT { MATCH (p)-->(pet) RETURN pet.name }
      RETURN p.name AS name
      """
    Then the result should be, in any order:
      | name  |
      | 'Bob' |
    And no side effects

  Scenario: [8] COLLECT must return exactly one column
    When executing query:
      """
      MATCH (p:Person)
      RETURN COLLECT { MATCH (p)-->(x) RETURN x.name, x } AS l
      """
    Then a SyntaxError should be raised at compile time: InvalidClauseComposition

  Scenario: [9] A subquery expression cannot write
    When executing query:
      """
      MATCH (p:Person)
      RETURN COUNT { CREATE (x) } AS c
      """
    Then a SyntaxError should be raised at compile time: InvalidClauseComposition

  Scenario: [10] EXISTS with a UNION inside
    When executing query:
      """
      MATCH (p:Person)
      WHERE EXISTS {
        MATCH (p)-[:HAS_DOG]->()
        UNION
        MATCH (p)-[:HAS_CAT]->()
      }
      RETURN p.name AS name
      """
    Then the result should be, in any order:
      | name  |
      | 'Ann' |
      | 'Bob' |
    And no side effects

  Scenario: [11] After a WITH inside EXISTS the enclosing variable is still the same node
    Given having executed:
      """
      CREATE (a:Q)-[:R]->(b:Q)
      """
    When executing query:
      """
      MATCH (p:Q) WHERE EXISTS { WITH 1 AS k MATCH (p)-->() } RETURN count(p) AS c
      """
    Then the result should be, in any order:
      | c |
      | 1 |
    And no side effects

  Scenario: [12] A value brought in by WITH is compared inside the subquery
    When executing query:
      """
      MATCH (p:Person)
      WHERE EXISTS {
        WITH 'Fido' AS wanted
        MATCH (p)-[:HAS_DOG]->(d:Dog)
        WHERE d.name = wanted
      }
      RETURN p.name AS name
      """
    Then the result should be, in any order:
      | name  |
      | 'Ann' |
    And no side effects

  Scenario: [13] COUNT after an aggregating WITH still sees the enclosing variable
    When executing query:
      """
      MATCH (p:Person)
      RETURN p.name AS name, COUNT {
        MATCH (p)-[:HAS_DOG]->(d)
        WITH count(d) AS dogs
        WHERE dogs > 1
        MATCH (p)-[:KNOWS]->(f)
        RETURN f
      } AS c
      """
    Then the result should be, in any order:
      | name  | c |
      | 'Ann' | 1 |
      | 'Bob' | 0 |
      | 'Cy'  | 0 |
    And no side effects

  Scenario: [14] A column inside the subquery may not take the name of an enclosing variable
    When executing query:
      """
      MATCH (p:Person)
      WHERE EXISTS { WITH 1 AS p MATCH (p)-->() }
      RETURN p
      """
    Then a SyntaxError should be raised at compile time: VariableAlreadyBound

  Scenario: [15] Nested subquery expressions
    When executing query:
      """
      MATCH (p:Person)
      WHERE COUNT { MATCH (p)-[:KNOWS]->(f) WHERE EXISTS { (f)-[:HAS_CAT]->() } } > 0
      RETURN p.name AS name
      """
    Then the result should be, in any order:
      | name  |
      | 'Ann' |
    And no side effects

  Scenario: [16] count(...) and a map key named count are still what they were
    When executing query:
      """
      MATCH (p:Person)
      WITH count(p) AS n, {count: 1} AS m
      RETURN n, m.count AS k
      """
    Then the result should be, in any order:
      | n | k |
      | 3 | 1 |
    And no side effects
