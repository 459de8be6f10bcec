"""Analytics: resolution accounting, response times, CSAT, cost and revenue influenced,
with their surfaces (`omnichannel stats`, `/metrics`, the dashboard). docs/analytics.md
states every rule. Importing the package is cheap: config.py may import `settings`."""
