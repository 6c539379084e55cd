"""Integrations: qa inside other frameworks' programs (a LangChain retriever)."""
