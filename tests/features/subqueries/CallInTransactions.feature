#encoding: utf-8

# Written for bfxdb from the semantics of the Neo4j 5 Cypher manual (CALL { ... } IN TRANSACTIONS).
# That a failed batch leaves the batches before it committed is tested in tests/query/test_subqueries.py,
# where the database outlives the error.
Feature: CallInTransactions - CALL { ... } IN TRANSACTIONS commits batch by batch

  Scenario: [1] Every incoming row runs the subquery, in batches of n rows
    Given an empty graph
    When executing query:
      """
      UNWIND range(1, 5) AS i
      CALL (i) {
        CREATE (:Item {number: i})
      } IN TRANSACTIONS OF 2 ROWS
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 5 |
      | +labels     | 1 |
      | +properties | 5 |

  Scenario: [2] Without OF n ROWS the batches are of 1000 rows
    Given an empty graph
    When executing query:
      """
      UNWIND range(1, 3) AS i
      CALL (i) {
        CREATE (:Item {number: i})
      } IN TRANSACTIONS
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 3 |
      | +labels     | 1 |
      | +properties | 3 |

  Scenario: [3] A returning subquery in transactions gives its rows to the rest of the query
    Given an empty graph
    When executing query:
      """
      UNWIND [1, 2, 3] AS i
      CALL (i) {
        CREATE (n:Item {number: i})
        RETURN n.number * 10 AS tens
      } IN TRANSACTIONS OF 1 ROW
      RETURN sum(tens) AS total
      """
    Then the result should be, in any order:
      | total |
      | 60    |
    And the side effects should be:
      | +nodes      | 3 |
      | +labels     | 1 |
      | +properties | 3 |

  Scenario: [4] Deleting in batches
    Given an empty graph
    And having executed:
      """
      UNWIND range(1, 7) AS i CREATE (:Old {i: i})
      """
    When executing query:
      """
      MATCH (n:Old)
      CALL (n) {
        DELETE n
      } IN TRANSACTIONS OF 3 ROWS
      """
    Then the result should be empty
    And the side effects should be:
      | -nodes      | 7 |
      | -labels     | 1 |
      | -properties | 7 |

  Scenario: [5] The batch size is a parameter
    Given an empty graph
    And parameters are:
      | size | 2 |
    When executing query:
      """
      UNWIND range(1, 3) AS i
      CALL (i) {
        CREATE (:Item {number: i})
      } IN TRANSACTIONS OF $size ROWS
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 3 |
      | +labels     | 1 |
      | +properties | 3 |

  Scenario: [6] A batch size below 1 fails
    Given any graph
    When executing query:
      """
      UNWIND [1] AS i
      CALL (i) {
        CREATE (:Item)
      } IN TRANSACTIONS OF 0 ROWS
      """
    Then a SyntaxError should be raised at compile time: InvalidArgumentValue

  Scenario: [7] Not inside another subquery
    Given any graph
    When executing query:
      """
      CALL () {
        CALL () {
          CREATE (:Item)
        } IN TRANSACTIONS
      }
      """
    Then a SyntaxError should be raised at compile time: InvalidClauseComposition

  Scenario: [8] Not after a write of the enclosing query
    Given any graph
    When executing query:
      """
      CREATE (:Before)
      WITH 1 AS one
      CALL () {
        CREATE (:Item)
      } IN TRANSACTIONS
      """
    Then a SyntaxError should be raised at compile time: InvalidClauseComposition

  Scenario: [9] Not in a UNION
    Given any graph
    When executing query:
      """
      CALL () {
        CREATE (:Item)
      } IN TRANSACTIONS
      RETURN 1 AS x
      UNION
      RETURN 2 AS x
      """
    Then a SyntaxError should be raised at compile time: InvalidClauseComposition

  Scenario: [10] ON ERROR CONTINUE rolls back the failed batch and runs the next ones
    Given an empty graph
    When executing query:
      """
      UNWIND range(1, 6) AS i
      CALL (i) {
        CREATE (n:Item {share: 12 / (3 - i)})
        RETURN n.share AS share
      } IN TRANSACTIONS OF 2 ROWS ON ERROR CONTINUE
      RETURN i, share
      """
    Then the result should be, in any order:
      | i | share |
      | 1 | 6     |
      | 2 | 12    |
      | 3 | null  |
      | 4 | null  |
      | 5 | -6    |
      | 6 | -4    |
    And the side effects should be:
      | +nodes      | 4 |
      | +labels     | 1 |
      | +properties | 4 |

  Scenario: [11] ON ERROR BREAK runs no batch after the failed one
    Given an empty graph
    When executing query:
      """
      UNWIND range(1, 6) AS i
      CALL (i) {
        CREATE (n:Item {share: 12 / (3 - i)})
        RETURN n.share AS share
      } IN TRANSACTIONS OF 2 ROWS ON ERROR BREAK
      RETURN i, share
      """
    Then the result should be, in any order:
      | i | share |
      | 1 | 6     |
      | 2 | 12    |
      | 3 | null  |
      | 4 | null  |
      | 5 | null  |
      | 6 | null  |
    And the side effects should be:
      | +nodes      | 2 |
      | +labels     | 1 |
      | +properties | 2 |

  Scenario: [12] ON ERROR FAIL, the default, fails the query (here in its first batch, so nothing commits)
    Given an empty graph
    When executing query:
      """
      UNWIND range(1, 6) AS i
      CALL (i) {
        CREATE (:Item {share: 12 / (3 - i)})
      } IN TRANSACTIONS OF 3 ROWS ON ERROR FAIL
      """
    Then an ArgumentError should be raised at runtime: *

  Scenario: [13] REPORT STATUS tells each row how its batch ended
    Given an empty graph
    When executing query:
      """
      UNWIND range(1, 3) AS i
      CALL (i) {
        CREATE (:Item {share: 12 / (2 - i)})
      } IN TRANSACTIONS OF 1 ROW REPORT STATUS AS s ON ERROR BREAK
      RETURN i, s.started AS started, s.committed AS committed, s.errorMessage IS NULL AS ok
      """
    Then the result should be, in any order:
      | i | started | committed | ok    |
      | 1 | true    | true      | true  |
      | 2 | true    | false     | false |
      | 3 | false   | false     | true  |
    And the side effects should be:
      | +nodes      | 1 |
      | +labels     | 1 |
      | +properties | 1 |

  Scenario: [14] REPORT STATUS needs ON ERROR CONTINUE or BREAK
    Given any graph
    When executing query:
      """
      UNWIND [1] AS i
      CALL (i) {
        CREATE (:Item)
      } IN TRANSACTIONS REPORT STATUS AS s
      RETURN s
      """
    Then a SyntaxError should be raised at compile time: InvalidClauseComposition
