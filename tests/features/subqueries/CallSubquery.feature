#encoding: utf-8

# Written for bfxdb from the semantics of the Neo4j 5 Cypher manual (CALL subqueries).
Feature: CallSubquery - CALL { ... } runs a query once per incoming row

  Background:
    Given an empty graph
    And having executed:
      """
      CREATE (t1:Team {name: 'T1'}), (t2:Team {name: 'T2'}), (t3:Team {name: 'T3'}),
             (:Player {name: 'P1', age: 20})-[:PLAYS_FOR]->(t1),
             (:Player {name: 'P2', age: 30})-[:PLAYS_FOR]->(t1),
             (:Player {name: 'P3', age: 25})-[:PLAYS_FOR]->(t2)
      """

  Scenario: [1] A returning subquery runs once per incoming row
    When executing query:
      """
      UNWIND [1, 2, 3] AS x
      CALL () {
        RETURN 'hi' AS greeting
      }
      RETURN x, greeting
      """
    Then the result should be, in any order:
      | x | greeting |
      | 1 | 'hi'     |
      | 2 | 'hi'     |
      | 3 | 'hi'     |
    And no side effects

  Scenario: [2] Several rows from the body multiply the incoming row; none drops it
    When executing query:
      """
      MATCH (t:Team)
      CALL (t) {
        MATCH (p:Player)-[:PLAYS_FOR]->(t)
        RETURN p.name AS player
      }
      RETURN t.name AS team, player
      """
    Then the result should be, in any order:
      | team | player |
      | 'T1' | 'P1'   |
      | 'T1' | 'P2'   |
      | 'T2' | 'P3'   |
    And no side effects

  Scenario: [3] An importing WITH at the start of the body imports a variable
    When executing query:
      """
      MATCH (t:Team)
      CALL {
        WITH t
        MATCH (p:Player)-[:PLAYS_FOR]->(t)
        RETURN count(p) AS players
      }
      RETURN t.name AS team, players
      """
    Then the result should be, in any order:
      | team | players |
      | 'T1' | 2       |
      | 'T2' | 1       |
      | 'T3' | 0       |
    And no side effects

  Scenario: [4] CALL (*) imports every variable in scope
    When executing query:
      """
      MATCH (t:Team {name: 'T1'})
      WITH t, 10 AS bonus
      CALL (*) {
        MATCH (p:Player)-[:PLAYS_FOR]->(t)
        RETURN sum(p.age + bonus) AS total
      }
      RETURN total
      """
    Then the result should be, in any order:
      | total |
      | 70    |
    And no side effects

  Scenario: [5] A body that reads a variable it did not import fails
    When executing query:
      """
      MATCH (t:Team)
      CALL () {
        RETURN t.name AS name
      }
      RETURN name
      """
    Then a SyntaxError should be raised at compile time: UndefinedVariable

  Scenario: [6] A scope clause naming an unknown variable fails
    When executing query:
      """
      MATCH (t:Team)
      CALL (x) {
        RETURN 1 AS one
      }
      RETURN one
      """
    Then a SyntaxError should be raised at compile time: UndefinedVariable

  Scenario: [7] Returning a variable of the enclosing query under its own name fails
    When executing query:
      """
      MATCH (t:Team)
      CALL (t) {
        RETURN t
      }
      RETURN t
      """
    Then a SyntaxError should be raised at compile time: VariableAlreadyBound

  Scenario: [8] An importing WITH may not alias what it imports
    When executing query:
      """
      MATCH (t:Team)
      CALL {
        WITH t AS team
        RETURN team.name AS name
      }
      RETURN name
      """
    Then a SyntaxError should be raised at compile time: InvalidImportingWith

  Scenario: [9] A unit subquery keeps the row count and writes once per row
    When executing query:
      """
      MATCH (t:Team)
      CALL (t) {
        CREATE (:Log {team: t.name})
      }
      RETURN count(*) AS rows
      """
    Then the result should be, in any order:
      | rows |
      | 3    |
    And the side effects should be:
      | +nodes      | 3 |
      | +labels     | 1 |
      | +properties | 3 |

  Scenario: [10] Each run of a writing body sees the writes of the runs before it
    Given having executed:
      """
      CREATE (:Counter {count: 0})
      """
    When executing query:
      """
      UNWIND [1, 2, 3] AS x
      CALL () {
        MATCH (c:Counter)
        SET c.count = c.count + 1
        RETURN c.count AS seen
      }
      MATCH (c:Counter)
      RETURN x, seen, c.count AS final
      """
    Then the result should be, in any order:
      | x | seen | final |
      | 1 | 1    | 3     |
      | 2 | 2    | 3     |
      | 3 | 3    | 3     |
    And the side effects should be:
      | +properties | 1 |
      | -properties | 1 |

  Scenario: [11] UNION inside a subquery, then work on the combined rows
    When executing query:
      """
      CALL () {
        MATCH (p:Player) WHERE p.age < 22 RETURN p.name AS name
        UNION
        MATCH (p:Player) WHERE p.age > 28 RETURN p.name AS name
        UNION
        MATCH (p:Player) WHERE p.age < 22 RETURN p.name AS name
      }
      RETURN name ORDER BY name
      """
    Then the result should be, in order:
      | name |
      | 'P1' |
      | 'P2' |
    And no side effects

  Scenario: [12] Each part of a UNION has its own importing WITH
    When executing query:
      """
      MATCH (t:Team {name: 'T1'})
      CALL {
        WITH t
        MATCH (p:Player)-[:PLAYS_FOR]->(t) RETURN p.name AS name
        UNION ALL
        WITH t
        RETURN t.name AS name
      }
      RETURN name
      """
    Then the result should be, in any order:
      | name |
      | 'P1' |
      | 'P2' |
      | 'T1' |
    And no side effects

  Scenario: [13] Nested subqueries each import from the one around them
    When executing query:
      """
      MATCH (t:Team)
      CALL (t) {
        MATCH (p:Player)-[:PLAYS_FOR]->(t)
        CALL (p) {
          RETURN p.age * 2 AS double
        }
        RETURN max(double) AS most
      }
      RETURN t.name AS team, most
      """
    Then the result should be, in any order:
      | team | most |
      | 'T1' | 60   |
      | 'T2' | 50   |
      | 'T3' | null |
    And no side effects

  Scenario: [14] Aggregation in the body is per incoming row
    When executing query:
      """
      UNWIND [20, 25] AS limit
      CALL (limit) {
        MATCH (p:Player) WHERE p.age > limit
        RETURN collect(p.name) AS older
      }
      RETURN limit, older
      """
    Then the result should be (ignoring element order for lists):
      | limit | older        |
      | 20    | ['P2', 'P3'] |
      | 25    | ['P2']       |
    And no side effects

  Scenario: [15] A query cannot end with a returning subquery
    When executing query:
      """
      CALL () {
        RETURN 1 AS one
      }
      """
    Then a SyntaxError should be raised at compile time: InvalidClauseComposition

  Scenario: [16] A unit subquery may end the query
    When executing query:
      """
      MATCH (p:Player {name: 'P1'})
      CALL (p) {
        SET p.age = p.age + 1
      }
      """
    Then the result should be empty
    And the side effects should be:
      | +properties | 1 |
      | -properties | 1 |

  Scenario: [17] A body must end with RETURN or a write
    When executing query:
      """
      CALL () {
        MATCH (p:Player)
      }
      RETURN 1 AS one
      """
    Then a SyntaxError should be raised at compile time: InvalidClauseComposition
