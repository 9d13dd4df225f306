"""Presentation: JSON documents, JMESPath queries and Rich tables. Nothing here fetches."""
