"""The digital twin of the closed-vial aseptic filling line (SimPy)."""
