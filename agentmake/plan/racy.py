"""The racily-clean rule (git's), shared by the stat cache (`plan.hashing`) and the build stamp.

A file's stat vouches for its content only if a later write could not have kept that stat: when its mtime is
within the filesystem's timestamp tick of the moment it was read, a write in the same tick keeps size and
mtime, so the content must be read again. The margin covers the tick: 2 s (`RACY_MARGIN_NS`: FAT, HFS+,
anything with whole-second times) unless the mtime has sub-millisecond digits, which only fine-grained
timestamps have (ext4, XFS, btrfs, APFS: stamped from a clock that ticks every few milliseconds); for those
100 ms (`FINE_MARGIN_NS`). Its own module so that the stamp's no-op path needs nothing heavier.
"""

RACY_MARGIN_NS = 2_000_000_000  # coarse timestamps (whole seconds, or FAT's two)
FINE_MARGIN_NS = 100_000_000  # timestamps with sub-millisecond digits: ten times a slow kernel tick


def racy_margin(mtime_ns: int) -> int:
    """How close to the moment it was read a file's mtime makes it racily clean."""
    return FINE_MARGIN_NS if mtime_ns % 1_000_000 else RACY_MARGIN_NS


def racily_clean(mtime_ns: int, read_ns: int) -> bool:
    """Whether a file with this mtime, stat'ed at `read_ns` (wall clock), may have changed unseen since."""
    return mtime_ns >= read_ns - racy_margin(mtime_ns)
