"""Generators of checked-in files (the API and config references, provider_types.py); tests keep each current."""
