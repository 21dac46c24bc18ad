"""Who may do what: signed identities (JWT), roles, and the branch and offices a caller may reach.

`identity` is pure (the domain may read it); `tokens` and `keys` sign and verify with
PyJWT; `http` is the FastAPI edge every service's routes use.
"""
