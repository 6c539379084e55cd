"""Serving: the answering processes, the JSON API, the page, and the server with its guard."""
