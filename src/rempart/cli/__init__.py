"""The `rempart` console script. Commands are thin: parse, call one function, render."""
