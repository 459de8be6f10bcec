"""The staff console: handoffs, takeovers, replies and draft approvals in one Slack channel.

See docs/console.md. `blocks.py` draws the Slack messages; `slack.py` runs the console
inside the daemon (an events route on our server, a Web API client, a sync loop).
"""
