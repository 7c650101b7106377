"""Shared by the dataset builder's tests: a small, fast config and a folder's files as bytes."""

SMALL = {"length": 1.0, "sample_rate": 16000, "events": {"count": {"min": 1, "max": 2}, "duration": {"min": 0.3, "max": 1.0}},
         "sounds": {"classes": ["dog", "bird", "knock", "speech"]}}


def folder_bytes(root):
    """Relative path -> bytes of every file a build wrote (not its lock file)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}
