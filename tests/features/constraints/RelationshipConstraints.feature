#encoding: utf-8

# Written for bfxdb from the semantics of the Neo4j 5 Cypher manual (CREATE CONSTRAINT on relationships).
Feature: RelationshipConstraints - uniqueness, keys, existence and types on relationships of a type

  Scenario: [1] A unique relationship property refuses a second relationship with the value
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR ()-[r:PAID]-() REQUIRE r.invoice IS UNIQUE
      """
    And having executed:
      """
      CREATE (:A)-[:PAID {invoice: 7}]->(:B)
      """
    When executing query:
      """
      MATCH (a:A), (b:B) CREATE (b)-[:PAID {invoice: 7}]->(a)
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [2] Uniqueness holds only among relationships of the type
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR ()-[r:PAID]-() REQUIRE r.invoice IS REL UNIQUE
      """
    When executing query:
      """
      CREATE (a:A)-[:PAID {invoice: 7}]->(b:B), (a)-[:OWES {invoice: 7}]->(b), (a)-[:PAID]->(b), (a)-[:PAID]->(b)
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes         | 2 |
      | +relationships | 4 |
      | +labels        | 2 |
      | +properties    | 2 |

  Scenario: [3] SET on a relationship is checked too
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR ()-[r:PAID]-() REQUIRE r.invoice IS UNIQUE
      """
    And having executed:
      """
      CREATE (a:A)-[:PAID {invoice: 7}]->(b:B), (a)-[:PAID {invoice: 8}]->(b)
      """
    When executing query:
      """
      MATCH ()-[r:PAID {invoice: 8}]->() SET r.invoice = 7
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [4] A relationship key requires its properties
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR ()-[r:PAID]-() REQUIRE (r.invoice, r.line) IS RELATIONSHIP KEY
      """
    When executing query:
      """
      CREATE (:A)-[:PAID {invoice: 7}]->(:B)
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [5] A relationship existence constraint refuses a relationship without the property
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR ()-[r:PAID]-() REQUIRE r.amount IS NOT NULL
      """
    When executing query:
      """
      CREATE (:A)-[:PAID]->(:B)
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [6] A relationship type constraint refuses a value of another type
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR ()-[r:PAID]-() REQUIRE r.amount IS :: FLOAT
      """
    And having executed:
      """
      CREATE (:A)-[:PAID {amount: 1.5}]->(:B)
      """
    When executing query:
      """
      MATCH ()-[r:PAID]->() SET r.amount = 'much'
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [7] Creating a relationship constraint the data breaks fails
    Given an empty graph
    And having executed:
      """
      CREATE (a:A)-[:PAID {amount: 'x'}]->(b:B)
      """
    When executing query:
      """
      CREATE CONSTRAINT FOR ()-[r:PAID]-() REQUIRE r.amount IS :: FLOAT
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintCreationFailed
