"""sb_proto_library: one line per proto package, compiled by the system protoc.

Debian's protoc and grpc_cpp_plugin generate the C++ sources in a genrule; the result
is a cc_library linked against the system protobuf (and gRPC when grpc = True).
Imports are rooted at the workspace: `import "proto/switchboard/x/v1/x.proto";`,
and C++ includes the generated header by the same path with `.pb.h`.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

def sb_proto_library(name, srcs, deps = [], grpc = False, visibility = ["//visibility:public"]):
    """Declares `name` (a cc_library) and `name_files` (its .proto sources).

    Args:
      name: the cc_library's name.
      srcs: .proto files in this package.
      deps: other sb_proto_library targets these protos import.
      grpc: also generate gRPC service stubs.
      visibility: of both targets.
    """
    native.filegroup(
        name = name + "_files",
        srcs = srcs + [d + "_files" for d in deps],
        visibility = visibility,
    )
    bases = [s[:-len(".proto")] for s in srcs]
    outs = [b + ".pb.h" for b in bases] + [b + ".pb.cc" for b in bases]
    if grpc:
        outs += [b + ".grpc.pb.h" for b in bases] + [b + ".grpc.pb.cc" for b in bases]
    cmd = "/usr/bin/protoc -I. -I/usr/include --cpp_out=$(GENDIR)"
    if grpc:
        cmd += " --grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin"
    cmd += " " + " ".join(["$(location %s)" % s for s in srcs])
    native.genrule(
        name = name + "_gen",
        srcs = srcs + [d + "_files" for d in deps],
        outs = outs,
        cmd = cmd,
        message = "protoc " + native.package_name(),
    )
    cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + ["@system_libs//:protobuf"] + (["@system_libs//:grpc"] if grpc else []),
        visibility = visibility,
    )
