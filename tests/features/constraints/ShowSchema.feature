#encoding: utf-8

# Written for bfxdb from the semantics of the Neo4j 5 Cypher manual (SHOW INDEXES, SHOW CONSTRAINTS).
Feature: ShowSchema - SHOW INDEXES and SHOW CONSTRAINTS with YIELD, WHERE and RETURN

  Background:
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT person_name FOR (p:Person) REQUIRE p.name IS UNIQUE
      """
    And having executed:
      """
      CREATE CONSTRAINT person_age FOR (p:Person) REQUIRE p.age IS :: INTEGER
      """
    And having executed:
      """
      CREATE CONSTRAINT paid_key FOR ()-[r:PAID]-() REQUIRE (r.invoice, r.line) IS RELATIONSHIP KEY
      """
    And having executed:
      """
      CREATE INDEX city FOR (p:Person) ON (p.city)
      """

  Scenario: [1] SHOW CONSTRAINTS lists every constraint with Neo4j's columns
    When executing query:
      """
      SHOW CONSTRAINTS
      """
    Then the result should be, in order:
      | id | name          | type                 | entityType     | labelsOrTypes | properties          | ownedIndex    | propertyType |
      | 3  | 'paid_key'    | 'RELATIONSHIP_KEY'   | 'RELATIONSHIP' | ['PAID']      | ['invoice', 'line'] | 'paid_key'    | null         |
      | 2  | 'person_age'  | 'NODE_PROPERTY_TYPE' | 'NODE'         | ['Person']    | ['age']             | null          | 'INTEGER'    |
      | 1  | 'person_name' | 'UNIQUENESS'         | 'NODE'         | ['Person']    | ['name']            | 'person_name' | null         |
    And no side effects

  Scenario: [2] SHOW with a kind of constraint lists only that kind
    When executing query:
      """
      SHOW KEY CONSTRAINTS YIELD name
      """
    Then the result should be, in order:
      | name       |
      | 'paid_key' |
    And no side effects

  Scenario: [3] SHOW CONSTRAINTS WHERE filters on the columns
    When executing query:
      """
      SHOW CONSTRAINTS WHERE entityType = 'NODE' AND 'Person' IN labelsOrTypes
      """
    Then the result should be, in order:
      | id | name          | type                 | entityType | labelsOrTypes | properties | ownedIndex    | propertyType |
      | 2  | 'person_age'  | 'NODE_PROPERTY_TYPE' | 'NODE'     | ['Person']    | ['age']    | null          | 'INTEGER'    |
      | 1  | 'person_name' | 'UNIQUENESS'         | 'NODE'     | ['Person']    | ['name']   | 'person_name' | null         |
    And no side effects

  Scenario: [4] YIELD with ORDER BY, WHERE and RETURN
    When executing query:
      """
      SHOW CONSTRAINTS YIELD name AS constraint, createStatement ORDER BY constraint DESC WHERE constraint STARTS WITH 'person'
      RETURN constraint, createStatement
      """
    Then the result should be, in order:
      | constraint    | createStatement                                                              |
      | 'person_name' | 'CREATE CONSTRAINT person_name FOR (n:Person) REQUIRE n.name IS UNIQUE'       |
      | 'person_age'  | 'CREATE CONSTRAINT person_age FOR (n:Person) REQUIRE n.age IS :: INTEGER'     |
    And no side effects

  Scenario: [5] SHOW INDEXES lists property indexes and the indexes unique constraints own
    When executing query:
      """
      SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, owningConstraint, state
      """
    Then the result should be, in order:
      | name          | type    | entityType     | labelsOrTypes | properties          | owningConstraint | state    |
      | 'city'        | 'RANGE' | 'NODE'         | ['Person']    | ['city']            | null             | 'ONLINE' |
      | 'paid_key'    | 'RANGE' | 'RELATIONSHIP' | ['PAID']      | ['invoice', 'line'] | 'paid_key'       | 'ONLINE' |
      | 'person_name' | 'RANGE' | 'NODE'         | ['Person']    | ['name']            | 'person_name'    | 'ONLINE' |
    And no side effects

  Scenario: [6] SHOW INDEXES WHERE and aggregation over YIELD
    When executing query:
      """
      SHOW RANGE INDEXES YIELD name, owningConstraint WHERE owningConstraint IS NULL RETURN count(*) AS plain
      """
    Then the result should be, in order:
      | plain |
      | 1     |
    And no side effects

  Scenario: [7] SHOW of an index kind bfxdb does not have lists nothing
    When executing query:
      """
      SHOW FULLTEXT INDEXES
      """
    Then the result should be empty
    And no side effects

  Scenario: [8] A dropped constraint leaves both listings
    Given having executed:
      """
      DROP CONSTRAINT person_name
      """
    When executing query:
      """
      SHOW INDEXES YIELD name RETURN collect(name) AS indexes
      """
    Then the result should be, in order:
      | indexes              |
      | ['city', 'paid_key'] |
    And no side effects
