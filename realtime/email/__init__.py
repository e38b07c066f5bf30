"""Email: an outbox written in the transaction of the change that causes it, and its sender.

`outbox.enqueue` adds a row inside the caller's transaction, so an email exists exactly when
its change committed. `Outbox.send_due`, run every few seconds by each server process, claims
due rows one at a time (a compare-and-set on the row's lease, so two processes never send the
same row), sends them through a `Mailer`, and records the outcome under the same claim. See
`docs/auth.md` ("Email").
"""
