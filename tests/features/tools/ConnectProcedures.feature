#encoding: utf-8

# Written for bfxdb from the semantics of the Neo4j 5 procedures tools call when they connect
# (dbms.components, db.schema.visualization, db.schema.nodeTypeProperties, db.schema.relTypeProperties).
Feature: ConnectProcedures - the procedures tools call when they connect

  Scenario: [1] dbms.components names the software, its version and edition
    Given an empty graph
    When executing query:
      """
      CALL dbms.components() YIELD name, versions, edition
      RETURN name, size(versions) AS versions, edition
      """
    Then the result should be, in any order:
      | name    | versions | edition     |
      | 'bfxdb' | 1        | 'community' |
    And no side effects

  Scenario: [2] db.schema.nodeTypeProperties: per label combination, keys, types and whether every node has them
    Given an empty graph
    And having executed:
      """
      CREATE (:Person {name: 'Ann', age: 30}), (:Person {name: 'Bob', age: 'old', tags: ['a']}),
             (:Person:Admin {name: 'Cy'}), (:Thing)
      """
    When executing query:
      """
      CALL db.schema.nodeTypeProperties()
      """
    Then the result should be, in any order:
      | nodeType            | nodeLabels          | propertyName | propertyTypes      | mandatory |
      | ':`Admin`:`Person`' | ['Admin', 'Person'] | 'name'       | ['String']         | true      |
      | ':`Person`'         | ['Person']          | 'age'        | ['Long', 'String'] | true      |
      | ':`Person`'         | ['Person']          | 'name'       | ['String']         | true      |
      | ':`Person`'         | ['Person']          | 'tags'       | ['StringArray']    | false     |
      | ':`Thing`'          | ['Thing']           | null         | null               | false     |
    And no side effects

  Scenario: [3] db.schema.relTypeProperties: per relationship type
    Given an empty graph
    And having executed:
      """
      CREATE (a)-[:KNOWS {since: date('2020-01-01'), weight: 0.5}]->(b), (a)-[:KNOWS {since: date('2021-01-01')}]->(b),
             (a)-[:LIKES]->(b)
      """
    When executing query:
      """
      CALL db.schema.relTypeProperties()
      """
    Then the result should be, in any order:
      | relType     | propertyName | propertyTypes | mandatory |
      | ':`KNOWS`'  | 'since'      | ['Date']      | true      |
      | ':`KNOWS`'  | 'weight'     | ['Double']    | false     |
      | ':`LIKES`'  | null         | null          | false     |
    And no side effects

  Scenario: [4] db.schema.visualization: labels, and which labels each type joins
    Given an empty graph
    And having executed:
      """
      CREATE (:Person)-[:KNOWS]->(:Person), (:Person)-[:OWNS]->(:Car:Thing), (:Car)-[:KNOWS]->()
      """
    When executing query:
      """
      CALL db.schema.visualization() YIELD nodes, relationships
      RETURN [n IN nodes | n.name] AS labels, [r IN relationships | [r.start, r.type, r.end]] AS joins
      """
    Then the result should be, in any order:
      | labels                     | joins                                                                                   |
      | ['Car', 'Person', 'Thing'] | [['Person', 'KNOWS', 'Person'], ['Person', 'OWNS', 'Car'], ['Person', 'OWNS', 'Thing']] |
    And no side effects

  Scenario: [5] On an empty graph the schema procedures give nothing
    Given an empty graph
    When executing query:
      """
      CALL db.schema.visualization() YIELD nodes, relationships
      CALL db.schema.nodeTypeProperties() YIELD nodeType
      RETURN size(nodes) AS labels, size(relationships) AS joins, count(nodeType) AS types
      """
    Then the result should be empty
    And no side effects
