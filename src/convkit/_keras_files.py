"""Files Keras keeps in its cache (`~/.keras`, or `$KERAS_HOME`): convkit reads them, never downloads.

`get_file` has Keras's arguments and returns what Keras would return when the file is already in
the cache (put there by Keras, or copied there by hand); for anything else it raises
FileNotFoundError saying where the file was looked for, since convkit assumes no network.
"""
import hashlib
import os
import tempfile
import urllib.parse

__all__ = ["get_file", "keras_home", "cached_path"]


def keras_home():
    """Keras's cache directory: $KERAS_HOME, else ~/.keras (/tmp/.keras where the home directory
    cannot be written, as Keras chooses it)."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return os.path.join(base, ".keras")


def _cache_dir(cache_dir, cache_subdir):
    base = os.path.expanduser(keras_home() if cache_dir is None else cache_dir)
    if not os.access(base, os.W_OK):  # (where Keras then downloads to)
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return os.path.join(base, cache_subdir)


def cached_path(fname, cache_subdir):
    """Where Keras's get_file keeps `fname` by default (the file may not exist)."""
    return os.path.join(_cache_dir(None, cache_subdir), fname)


def _hash_matches(path, file_hash, algorithm):
    if algorithm == "auto":
        algorithm = "sha256" if len(file_hash) == 64 else "md5"
    if algorithm not in ("sha256", "md5"):
        raise ValueError(f"`hash_algorithm` must be 'md5', 'sha256' or 'auto'. Received: hash_algorithm={algorithm!r}")
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest() == str(file_hash)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """The path of a file Keras's `get_file` would download from `origin`, if it is already in
    the cache with the right hash (the extracted directory, with extract=True). convkit never
    downloads: a file not in the cache, a hash that does not match or force_download=True raise
    FileNotFoundError saying where to put the file."""
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = _cache_dir(cache_dir, cache_subdir)
    name = os.fspath(fname) if fname else ""
    if isinstance(name, bytes):
        name = name.decode()
    provided = bool(name)
    if not name:
        name = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not name:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. Please specify the "
                             f"`fname` argument.")
    elif os.sep in name:
        raise ValueError(f"Paths are no longer accepted as the `fname` argument. To specify the file's parent "
                         f"directory, use the `cache_dir` argument. Received: fname={fname}")
    # the names Keras gives the archive and its extraction directory
    if (extract or untar) and provided and "." in name:
        target, extracted = os.path.join(datadir, name), os.path.join(datadir, f"{name[:name.find('.')]}_extracted")
    elif extract or untar:
        target, extracted = os.path.join(datadir, f"{name}_archive"), os.path.join(datadir, name)
    else:
        target, extracted = os.path.join(datadir, name), None

    problem = None
    if force_download:
        problem = "force_download=True asks for a new download"
    elif not os.path.exists(target):
        problem = f"it is not in the cache ({target})"
    elif file_hash is not None and not _hash_matches(target, file_hash, hash_algorithm):
        problem = f"the cached file {target} does not have the expected hash {file_hash}"
    elif extracted is not None and not os.path.exists(extracted):
        problem = f"its archive is cached but not extracted (expected the directory {extracted})"
    if problem is not None:
        raise FileNotFoundError(
            f"convkit does not download files (it assumes no network): {problem}. Download {origin} yourself (or "
            f"with Keras's get_file) and place it at {target}"
            + (f", extracted into {extracted}" if extracted is not None else "") + ", then call again.")
    return extracted if extracted is not None else target
