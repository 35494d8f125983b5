#encoding: utf-8

# Written for bfxdb from the semantics of the Neo4j 5 Cypher manual (CREATE CONSTRAINT, DROP CONSTRAINT).
Feature: NodeConstraints - property uniqueness, node keys, existence and types on labelled nodes

  Scenario: [1] A unique property refuses a second node with the same value
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT person_name FOR (p:Person) REQUIRE p.name IS UNIQUE
      """
    And having executed:
      """
      CREATE (:Person {name: 'Alice'})
      """
    When executing query:
      """
      CREATE (:Person {name: 'Alice'})
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [2] Uniqueness holds only among nodes with the label, and only where the property is present
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT person_name FOR (p:Person) REQUIRE p.name IS UNIQUE
      """
    When executing query:
      """
      CREATE (:Person {name: 'Alice'}), (:Robot {name: 'Alice'}), (:Person), (:Person)
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 4 |
      | +labels     | 2 |
      | +properties | 2 |

  Scenario: [3] Values of different types are different values; an integer equals the same float
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR (p:P) REQUIRE p.k IS UNIQUE
      """
    And having executed:
      """
      CREATE (:P {k: 1}), (:P {k: true}), (:P {k: '1'}), (:P {k: [1]}), (:P {k: '[1]'})
      """
    When executing query:
      """
      CREATE (:P {k: 1.0})
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [4] SET of a taken value is refused and leaves the node as it was
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR (p:Person) REQUIRE p.name IS UNIQUE
      """
    And having executed:
      """
      CREATE (:Person {name: 'Alice'}), (:Person {name: 'Bob'})
      """
    When executing query:
      """
      MATCH (p:Person {name: 'Bob'}) SET p.name = 'Alice'
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [5] Adding the label to a node with a taken value is refused
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR (p:Person) REQUIRE p.name IS UNIQUE
      """
    And having executed:
      """
      CREATE (:Person {name: 'Alice'}), (:Robot {name: 'Alice'})
      """
    When executing query:
      """
      MATCH (r:Robot) SET r:Person
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [6] MERGE on a unique property finds the one node
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR (p:Person) REQUIRE p.name IS UNIQUE
      """
    And having executed:
      """
      CREATE (:Person {name: 'Alice', age: 30})
      """
    When executing query:
      """
      MERGE (p:Person {name: 'Alice'}) RETURN p.age AS age
      """
    Then the result should be, in any order:
      | age |
      | 30  |
    And no side effects

  Scenario: [7] A composite unique constraint compares the values together
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR (b:Book) REQUIRE (b.title, b.edition) IS UNIQUE
      """
    And having executed:
      """
      CREATE (:Book {title: 'T', edition: 1}), (:Book {title: 'T', edition: 2}), (:Book {title: 'T'})
      """
    When executing query:
      """
      CREATE (:Book {title: 'T', edition: 2})
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [8] A node key requires every property of the key
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT book_key FOR (b:Book) REQUIRE (b.isbn, b.edition) IS NODE KEY
      """
    When executing query:
      """
      CREATE (:Book {isbn: '1'})
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [9] A node key is unique
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT book_key FOR (b:Book) REQUIRE (b.isbn, b.edition) IS NODE KEY
      """
    And having executed:
      """
      CREATE (:Book {isbn: '1', edition: 1})
      """
    When executing query:
      """
      CREATE (:Book {isbn: '1', edition: 1})
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [10] REMOVE of a key property is refused
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR (b:Book) REQUIRE b.isbn IS NODE KEY
      """
    And having executed:
      """
      CREATE (:Book {isbn: '1'})
      """
    When executing query:
      """
      MATCH (b:Book) REMOVE b.isbn
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [11] An existence constraint refuses a node without the property, and setting it to null
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR (p:Person) REQUIRE p.name IS NOT NULL
      """
    And having executed:
      """
      CREATE (:Person {name: 'Alice'}), (:Robot)
      """
    When executing query:
      """
      MATCH (p:Person) SET p.name = null
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [12] An existence constraint refuses the label on a node without the property
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR (p:Person) REQUIRE p.name IS NOT NULL
      """
    And having executed:
      """
      CREATE (:Robot)
      """
    When executing query:
      """
      MATCH (r:Robot) SET r:Person
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

  Scenario: [13] A type constraint admits the type and a missing property
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR (p:Person) REQUIRE p.age IS :: INTEGER
      """
    When executing query:
      """
      CREATE (:Person {age: 30}), (:Person), (:Robot {age: 'old'})
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 3 |
      | +labels     | 2 |
      | +properties | 2 |

  Scenario Outline: [14] A type constraint refuses a value of another type
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR (p:Person) REQUIRE p.v IS :: <type>
      """
    When executing query:
      """
      CREATE (:Person {v: <value>})
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintValidationFailed

    Examples:
      | type                   | value                |
      | INTEGER                | 1.0                  |
      | INTEGER                | true                 |
      | FLOAT                  | 1                    |
      | STRING                 | ['a']                |
      | BOOLEAN                | 0                    |
      | DATE                   | localdatetime()      |
      | DURATION               | '1 day'              |
      | LIST<INTEGER NOT NULL> | [1, 2.5]             |
      | LIST<STRING NOT NULL>  | 'a'                  |
      | INTEGER \| FLOAT       | '1'                  |

  Scenario Outline: [15] A type constraint admits a value of its type
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT FOR (p:Person) REQUIRE p.v IS :: <type>
      """
    When executing query:
      """
      CREATE (:Person {v: <value>})
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 1 |
      | +labels     | 1 |
      | +properties | 1 |

    Examples:
      | type                       | value                        |
      | INT                        | 1                            |
      | FLOAT                      | 1.5                          |
      | STRING                     | 'a'                          |
      | BOOL                       | false                        |
      | DATE                       | date('2024-01-02')           |
      | LOCAL DATETIME             | localdatetime()              |
      | ZONED DATETIME             | datetime()                   |
      | DURATION                   | duration('P1D')              |
      | LIST<INTEGER NOT NULL>     | [1, 2]                       |
      | LIST<DATE NOT NULL>        | [date('2024-01-02')]         |
      | INTEGER \| FLOAT           | 2.5                          |

  Scenario: [16] Creating a constraint the data breaks fails and changes nothing
    Given an empty graph
    And having executed:
      """
      CREATE (:Person {name: 'Alice'}), (:Person {name: 'Alice'})
      """
    When executing query:
      """
      CREATE CONSTRAINT FOR (p:Person) REQUIRE p.name IS UNIQUE
      """
    Then a ConstraintValidationFailed should be raised at runtime: ConstraintCreationFailed

  Scenario: [17] A dropped constraint no longer refuses anything
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT person_name FOR (p:Person) REQUIRE p.name IS UNIQUE
      """
    And having executed:
      """
      DROP CONSTRAINT person_name
      """
    When executing query:
      """
      CREATE (:Person {name: 'Alice'}), (:Person {name: 'Alice'})
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 2 |
      | +labels     | 1 |
      | +properties | 2 |

  Scenario: [18] IF NOT EXISTS does nothing when the constraint or its name exists
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT c FOR (p:Person) REQUIRE p.name IS UNIQUE
      """
    And having executed:
      """
      CREATE CONSTRAINT c IF NOT EXISTS FOR (p:Other) REQUIRE p.x IS NOT NULL
      """
    And having executed:
      """
      CREATE CONSTRAINT IF NOT EXISTS FOR (p:Person) REQUIRE p.name IS UNIQUE
      """
    When executing query:
      """
      SHOW CONSTRAINTS YIELD name, type, labelsOrTypes
      """
    Then the result should be, in any order:
      | name | type         | labelsOrTypes |
      | 'c'  | 'UNIQUENESS' | ['Person']    |
    And no side effects

  Scenario: [19] Without IF NOT EXISTS an equivalent constraint is an error
    Given an empty graph
    And having executed:
      """
      CREATE CONSTRAINT c FOR (p:Person) REQUIRE p.name IS UNIQUE
      """
    When executing query:
      """
      CREATE CONSTRAINT other FOR (p:Person) REQUIRE p.name IS UNIQUE
      """
    Then a ArgumentError should be raised at runtime: EquivalentSchemaRuleAlreadyExists

  Scenario: [20] DROP CONSTRAINT of a missing name fails unless IF EXISTS
    Given an empty graph
    And having executed:
      """
      DROP CONSTRAINT nothing IF EXISTS
      """
    When executing query:
      """
      DROP CONSTRAINT nothing
      """
    Then a ArgumentError should be raised at runtime: ConstraintDropFailed
