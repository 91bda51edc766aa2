"""Bot writes, by topic: `preferences` (notification settings and the gate), `outbox` (queue a message
exactly once, retry, prune), `notify` (lesson events -> messages), `welcomes` (joins and registrations),
`reports` (a tutor's lesson report), `producers` (periodic reminders and end-of-lesson prompts), `marking`
(one-tap marking from a prompt). Import a name from its module: `from botapp.services.outbox import outbox_put`."""
