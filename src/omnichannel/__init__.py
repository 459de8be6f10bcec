"""omnichannel: a self-hosted AI customer-support gateway for online stores."""

__version__ = "0.1.0"
