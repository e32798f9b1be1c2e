"""Sub-commands of `meco-studio`. Each module exposes `register(subparsers)`; never imports Qt."""
