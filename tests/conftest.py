"""Settings for the whole suite: under CI (the ``CI`` environment variable set) hypothesis
draws the same programs on every run, so a red run reproduces as it was; elsewhere each
run explores new ones (``S2SAD_FUZZ_EXAMPLES`` sets how many the fuzz tests draw)."""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
