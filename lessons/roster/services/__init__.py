"""Roster writes, one module per topic: `joins` (referral codes), `invitations`, `links` (archive, restore,
purge, private notes) and `parents` (relations and their notification toggles)."""
