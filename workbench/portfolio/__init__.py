"""Many repositories at once: portfolio maps and reports over the executor, snapshots as
Parquet from cluster workers, one ingesting writer (see :mod:`.service`, :mod:`.parquet`)."""
