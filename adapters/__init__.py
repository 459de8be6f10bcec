"""Channel adapters, one package each, found through the `omnichannel.adapters` entry points."""
