#encoding: utf-8

# Written for bfxdb from the semantics of the Neo4j 5 Cypher manual (LOAD CSV).
Feature: LoadCsv - LOAD CSV reads the rows of a file in the import folder

  Scenario: [1] Without headers each line is a list of strings
    Given an empty graph
    And there exists a CSV file with URL as $param, with rows:
      | 'Ann' | '30' |
      | 'Bob' | '41' |
    When executing query:
      """
      LOAD CSV FROM $param AS row
      RETURN row
      """
    Then the result should be, in order:
      | row           |
      | ['Ann', '30'] |
      | ['Bob', '41'] |
    And no side effects

  Scenario: [2] With headers each line is a map keyed by the first line
    Given an empty graph
    And there exists a CSV file with URL as $param, with rows:
      | 'name' | 'age' |
      | 'Ann'  | '30'  |
      | 'Bob'  | '41'  |
    When executing query:
      """
      LOAD CSV WITH HEADERS FROM $param AS row
      RETURN row.name AS name, toInteger(row.age) AS age
      """
    Then the result should be, in order:
      | name  | age |
      | 'Ann' | 30  |
      | 'Bob' | 41  |
    And no side effects

  Scenario: [3] An empty field is null
    Given an empty graph
    And there exists a CSV file with URL as $param, with rows:
      | 'name' | 'age' |
      | 'Ann'  | null  |
    When executing query:
      """
      LOAD CSV WITH HEADERS FROM $param AS row
      RETURN row.name AS name, row.age IS NULL AS missing, keys(row) AS keys
      """
    Then the result should be, in any order:
      | name  | missing | keys            |
      | 'Ann' | true    | ['name', 'age'] |
    And no side effects

  Scenario: [4] A line shorter than the headers gives null for the fields it lacks
    Given an empty graph
    And there exists a file short.csv in the import folder:
      """
      a,b,c
      1,2
      """
    When executing query:
      """
      LOAD CSV WITH HEADERS FROM 'file:///short.csv' AS row
      RETURN row.a AS a, row.b AS b, row.c AS c
      """
    Then the result should be, in any order:
      | a   | b   | c    |
      | '1' | '2' | null |
    And no side effects

  Scenario: [5] FIELDTERMINATOR sets the separator
    Given an empty graph
    And there exists a file semi.csv in the import folder:
      """
      Ann;1,5
      Bob;2,5
      """
    When executing query:
      """
      LOAD CSV FROM 'file:///semi.csv' AS row FIELDTERMINATOR ';'
      RETURN row[0] AS name, row[1] AS score
      """
    Then the result should be, in order:
      | name  | score |
      | 'Ann' | '1,5' |
      | 'Bob' | '2,5' |
    And no side effects

  Scenario: [6] A tab as FIELDTERMINATOR, written as an escape
    Given an empty graph
    And there exists a file tabs.tsv in the import folder:
      """
      x	y
      """
    When executing query:
      """
      LOAD CSV FROM 'file:///tabs.tsv' AS row FIELDTERMINATOR '\t'
      RETURN row
      """
    Then the result should be, in order:
      | row        |
      | ['x', 'y'] |
    And no side effects

  Scenario: [7] Quoted fields keep separators, line breaks and doubled quotes
    Given an empty graph
    And there exists a file quoted.csv in the import folder:
      """
      "a, b","say ""hi""","two
      lines"
      """
    When executing query:
      """
      LOAD CSV FROM 'file:///quoted.csv' AS row
      RETURN row[0] AS first, row[1] AS second, size(row[2]) AS third
      """
    Then the result should be, in order:
      | first  | second     | third |
      | 'a, b' | 'say "hi"' | 9     |
    And no side effects

  Scenario: [8] Creating nodes from each row
    Given an empty graph
    And there exists a CSV file with URL as $param, with rows:
      | 'name' | 'city'   |
      | 'Ann'  | 'London' |
      | 'Bob'  | 'Paris'  |
    When executing query:
      """
      LOAD CSV WITH HEADERS FROM $param AS row
      MERGE (c:City {name: row.city})
      CREATE (:Person {name: row.name})-[:LIVES_IN]->(c)
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes         | 4 |
      | +relationships | 2 |
      | +labels        | 2 |
      | +properties    | 4 |

  Scenario: [9] CALL { } IN TRANSACTIONS imports a file in batches
    Given an empty graph
    And there exists a CSV file with URL as $param, with rows:
      | 'n' |
      | '1' |
      | '2' |
      | '3' |
      | '4' |
      | '5' |
    When executing query:
      """
      LOAD CSV WITH HEADERS FROM $param AS row
      CALL (row) {
        CREATE (:N {n: toInteger(row.n)})
      } IN TRANSACTIONS OF 2 ROWS
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 5 |
      | +labels     | 1 |
      | +properties | 5 |

  Scenario: [10] IN TRANSACTIONS with RETURN after it reports every batch
    Given an empty graph
    And there exists a CSV file with URL as $param, with rows:
      | '1' |
      | '2' |
      | '3' |
    When executing query:
      """
      LOAD CSV FROM $param AS row
      CALL (row) {
        CREATE (n:N {n: row[0]})
        RETURN n.n AS made
      } IN TRANSACTIONS OF 2 ROWS
      RETURN collect(made) AS made
      """
    Then the result should be, in any order:
      | made            |
      | ['1', '2', '3'] |
    And the side effects should be:
      | +nodes      | 3 |
      | +labels     | 1 |
      | +properties | 3 |

  Scenario: [11] LIMIT stops reading the file
    Given an empty graph
    And there exists a CSV file with URL as $param, with rows:
      | 'a' |
      | 'b' |
      | 'c' |
    When executing query:
      """
      LOAD CSV FROM $param AS row
      RETURN row[0] AS value
      LIMIT 2
      """
    Then the result should be, in order:
      | value |
      | 'a'   |
      | 'b'   |
    And no side effects

  Scenario: [12] The URL may be built by an expression, once per incoming row
    Given an empty graph
    And there exists a file one.csv in the import folder:
      """
      x
      """
    And there exists a file two.csv in the import folder:
      """
      y
      z
      """
    When executing query:
      """
      UNWIND ['one', 'two'] AS name
      LOAD CSV FROM 'file:///' + name + '.csv' AS row
      RETURN name, row[0] AS value
      """
    Then the result should be, in order:
      | name  | value |
      | 'one' | 'x'   |
      | 'two' | 'y'   |
      | 'two' | 'z'   |
    And no side effects

  Scenario: [13] A file of headers only gives no rows
    Given an empty graph
    And there exists a file headers.csv in the import folder:
      """
      a,b
      """
    When executing query:
      """
      LOAD CSV WITH HEADERS FROM 'file:///headers.csv' AS row
      RETURN row
      """
    Then the result should be empty
    And no side effects

  Scenario: [14] A path leading out of the import folder is refused
    Given an empty graph
    And there exists a file inside.csv in the import folder:
      """
      x
      """
    When executing query:
      """
      LOAD CSV FROM 'file:///../inside.csv' AS row
      RETURN row
      """
    Then a LoadCsvError should be raised at runtime: LoadCsvPathEscape

  Scenario: [15] A network URL is refused
    Given an empty graph
    And there exists a file inside.csv in the import folder:
      """
      x
      """
    When executing query:
      """
      LOAD CSV FROM 'https://example.com/people.csv' AS row
      RETURN row
      """
    Then a LoadCsvError should be raised at runtime: LoadCsvUrlRefused

  Scenario: [16] A missing file is an error
    Given an empty graph
    And there exists a file inside.csv in the import folder:
      """
      x
      """
    When executing query:
      """
      LOAD CSV FROM 'file:///missing.csv' AS row
      RETURN row
      """
    Then a LoadCsvError should be raised at runtime: LoadCsvFileNotFound

  Scenario: [17] Without an import folder LOAD CSV is refused
    Given an empty graph
    When executing query:
      """
      LOAD CSV FROM 'file:///people.csv' AS row
      RETURN row
      """
    Then a LoadCsvError should be raised at runtime: LoadCsvDisabled

  Scenario: [18] A failing row writes nothing
    Given an empty graph
    And there exists a file bad.csv in the import folder:
      """
      a
      "unclosed
      """
    When executing query:
      """
      LOAD CSV FROM 'file:///bad.csv' AS row
      CREATE (:N {v: row[0]})
      """
    Then a LoadCsvError should be raised at runtime: LoadCsvMalformed

  Scenario: [19] The variable may not be bound already
    Given an empty graph
    When executing query:
      """
      WITH 1 AS row
      LOAD CSV FROM 'file:///x.csv' AS row
      RETURN row
      """
    Then a SyntaxError should be raised at compile time: VariableAlreadyBound

  Scenario: [20] A query cannot end with LOAD CSV
    Given an empty graph
    When executing query:
      """
      LOAD CSV FROM 'file:///x.csv' AS row
      """
    Then a SyntaxError should be raised at compile time: InvalidClauseComposition

  Scenario: [21] FIELDTERMINATOR takes one character
    Given an empty graph
    When executing query:
      """
      LOAD CSV FROM 'file:///x.csv' AS row FIELDTERMINATOR ';;'
      RETURN row
      """
    Then a SyntaxError should be raised at compile time: InvalidArgumentValue

  Scenario: [22] A URL that is not a string is a type error
    Given an empty graph
    And there exists a file inside.csv in the import folder:
      """
      x
      """
    When executing query:
      """
      LOAD CSV FROM 42 AS row
      RETURN row
      """
    Then a TypeError should be raised at runtime: InvalidArgumentType
