#encoding: utf-8

# Written for bfxdb from the semantics of the Neo4j 5 Cypher manual (SHOW PROCEDURES, SHOW FUNCTIONS,
# SHOW DATABASES): YIELD picks and orders columns, WHERE filters, RETURN projects like RETURN.
Feature: Show - SHOW commands list procedures, functions and the database

  Scenario: [1] YIELD and WHERE pick procedures
    Given an empty graph
    When executing query:
      """
      SHOW PROCEDURES YIELD name, mode WHERE name STARTS WITH 'db.schema'
      """
    Then the result should be, in order:
      | name                           | mode   |
      | 'db.schema.nodeTypeProperties' | 'READ' |
      | 'db.schema.relTypeProperties'  | 'READ' |
      | 'db.schema.visualization'      | 'READ' |
    And no side effects

  Scenario: [2] Without YIELD the default columns show, and WHERE may read any column
    Given an empty graph
    When executing query:
      """
      SHOW PROCEDURES WHERE signature ENDS WITH '(label :: STRING)'
      """
    Then the result should be, in any order:
      | name        | description                                     | mode   | worksOnSystem |
      | 'db.labels' | 'Every label some substrate carries, in order.' | 'READ' | false         |
    And no side effects

  Scenario: [3] RETURN after YIELD aggregates and renames
    Given an empty graph
    When executing query:
      """
      SHOW FUNCTIONS YIELD name, aggregating
      WHERE aggregating
      RETURN count(*) AS aggregates, min(name) AS first
      """
    Then the result should be, in any order:
      | aggregates | first |
      | 10         | 'avg' |
    And no side effects

  Scenario: [4] YIELD orders, skips and limits before its WHERE filters
    Given an empty graph
    When executing query:
      """
      SHOW PROCEDURES YIELD name ORDER BY name DESC SKIP 1 LIMIT 2 WHERE name <> 'db.schema.visualization'
      """
    Then the result should be, in order:
      | name              |
      | 'dbms.components' |
    And no side effects

  Scenario: [5] RETURN orders, skips and limits what WHERE kept
    Given an empty graph
    When executing query:
      """
      SHOW FUNCTIONS YIELD name, category WHERE category = 'Aggregating'
      RETURN name ORDER BY name DESC SKIP 1 LIMIT 2
      """
    Then the result should be, in order:
      | name     |
      | 'stDevP' |
      | 'stDev'  |
    And no side effects

  Scenario: [6] A YIELD alias renames a column
    Given an empty graph
    When executing query:
      """
      SHOW FUNCTIONS YIELD name AS function, isBuiltIn WHERE function = 'toUpper'
      """
    Then the result should be, in any order:
      | function  | isBuiltIn |
      | 'toUpper' | true      |
    And no side effects

  Scenario: [7] User-defined functions: there are none
    Given an empty graph
    When executing query:
      """
      SHOW USER DEFINED FUNCTIONS
      """
    Then the result should be empty
    And no side effects

  Scenario: [8] A registered procedure is listed with its signature
    Given an empty graph
    And there exists a procedure test.double(x :: INTEGER?) :: (y :: INTEGER?):
      | x | y |
      | 1 | 2 |
    When executing query:
      """
      SHOW PROCEDURES YIELD name, signature, argumentDescription WHERE name = 'test.double'
      RETURN signature, [a IN argumentDescription | a.name] AS arguments
      """
    Then the result should be, in any order:
      | signature                                       | arguments |
      | 'test.double(x :: INTEGER?) :: (y :: INTEGER?)' | ['x']     |
    And no side effects

  Scenario: [9] SHOW DATABASES lists the one database, online and the default
    Given an empty graph
    When executing query:
      """
      SHOW DATABASES YIELD name, type, currentStatus, default, home, access
      """
    Then the result should be, in any order:
      | name       | type       | currentStatus | default | home | access       |
      | ':memory:' | 'standard' | 'online'      | true    | true | 'read-write' |
    And no side effects

  Scenario: [10] SHOW DATABASE with another name lists nothing
    Given an empty graph
    When executing query:
      """
      SHOW DATABASE other
      """
    Then the result should be empty
    And no side effects

  Scenario: [11] SHOW DEFAULT DATABASE shows its default columns
    Given an empty graph
    When executing query:
      """
      SHOW DEFAULT DATABASE YIELD * RETURN name, store
      """
    Then the result should be, in any order:
      | name       | store    |
      | ':memory:' | 'sqlite' |
    And no side effects

  Scenario: [12] YIELD of an unknown column is an error
    Given an empty graph
    When executing query:
      """
      SHOW PROCEDURES YIELD nothing
      """
    Then a SyntaxError should be raised at compile time: UndefinedVariable

  Scenario: [13] RETURN may not read what YIELD left out
    Given an empty graph
    When executing query:
      """
      SHOW PROCEDURES YIELD name RETURN mode
      """
    Then a SyntaxError should be raised at compile time: UndefinedVariable

  Scenario: [14] An unknown SHOW target is an error
    Given an empty graph
    When executing query:
      """
      SHOW WIDGETS
      """
    Then a SyntaxError should be raised at compile time: UnexpectedSyntax

  Scenario: [15] Keywords ignore case
    Given an empty graph
    When executing query:
      """
      show procedures yield name where name = 'dbms.components' return name
      """
    Then the result should be, in any order:
      | name              |
      | 'dbms.components' |
    And no side effects
