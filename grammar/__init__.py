"""The openCypher grammar of bfxdb, shipped as package data (``cypher.lark``)."""
