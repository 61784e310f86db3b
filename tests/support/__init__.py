"""Helpers the tests share: a platform simulator, a throwaway PostgreSQL server, servers."""
