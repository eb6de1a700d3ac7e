"""One module per workflow stage; each has ``run(args)`` called by :mod:`xaiadv.cli`."""
