"""The API's routes, one module per resource, each a Flask blueprint that the app factory registers."""
