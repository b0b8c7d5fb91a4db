"""rempart: in-house production of sterile injectables on a closed-vial aseptic filling line."""

__version__ = "0.1.0"
