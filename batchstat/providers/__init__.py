"""One thin adapter per cloud around its official SDK.

An adapter turns a job id into a :class:`batchstat.model.JobRecord` and SDK exceptions
into :mod:`batchstat.errors`; it never prints. SDKs are imported inside the adapters,
only on the paths that call them.
"""
