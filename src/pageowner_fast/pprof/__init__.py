"""pprof output: the pages held per call stack of a dump as a gzip'd ``profile.proto``
message, which ``go tool pprof``, ``pprof -http``, Pyroscope and Parca read.

    >>> import pageowner_fast as pf
    >>> open("pages.pb.gz", "wb").write(pf.to_pprof("dump.txt.xz", page_size="16K"))

    $ go tool pprof -top pages.pb.gz
    $ go tool pprof -top -diff_base before.pb.gz after.pb.gz     # what grew

The mapping from a dump to a profile (sample types, labels, locations, functions) is
`build.build_profile`'s docstring. Needs the ``pprof`` extra (protobuf); the schema is
``profile.proto`` beside this file, ``profile_pb2.py`` the code protoc generated from it.
"""
from .build import build_profile, parse_frame, to_pprof

__all__ = ["to_pprof", "build_profile", "parse_frame"]
