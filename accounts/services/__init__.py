"""Account writes, one module per topic: `users` (sign-up, roles, delete/restore/purge, beta, logout) and
`profiles` (profile and settings writes of the signed-in user)."""
