"""Code shared by the four services of the video streaming system.

One implementation of each cross-cutting concern (settings, database and schema,
the auth check, the file-svc client, error responses, logging), installed into every
service's image from the `common/` folder.
"""
