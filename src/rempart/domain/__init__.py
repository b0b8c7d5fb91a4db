"""The vocabulary and rules of rempart, standard library only.

Everything here is pure: no I/O, no clock reads (a `Clock` is injected), no framework. The
twin, the planner, the MES and the CLI all speak these words.
"""
