"""Training and evaluation data: synthetic brackets from real HDR, and the Kalantari layout."""
