"""The throwaway PostgreSQL cluster of the tests (`tests/kit/pg.py`): it lives in
`middleware.sandbox.pg_cluster`, which the benchmarks use too."""

from middleware.sandbox.pg_cluster import Cluster, ClusterError, pg_bin, start_cluster

__all__ = ["Cluster", "ClusterError", "pg_bin", "start_cluster"]
