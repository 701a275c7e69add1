"""``python -m deblur_app``: the same as ``deblur-studio``."""
import sys

from deblur_app.gui.app import main

if __name__ == "__main__":
    sys.exit(main())
