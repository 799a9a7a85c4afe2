"""Brings Debian's system C++ libraries into Bazel as cc_library targets.

Each library's link options come from pkg-config when the repository is fetched,
so the build follows whatever Debian ships. Headers live in /usr/include, which the
default toolchain already searches.
"""

# name -> (pkg-config modules, extra linkopts)
_LIBS = {
    "absl": ([
        "absl_flags",
        "absl_flags_parse",
        "absl_flags_usage",
        "absl_status",
        "absl_statusor",
        "absl_strings",
        "absl_str_format",
        "absl_synchronization",
        "absl_time",
        "absl_random_random",
        "absl_hash",
        "absl_raw_hash_set",
        "absl_cord",
    ], []),
    "protobuf": (["protobuf"], []),
    "grpc": (["grpc++"], ["-lgrpc++_reflection"]),
    "nats": (["libnats"], []),
    "prometheus": (["prometheus-cpp-core"], []),
    "ssl": (["openssl"], []),
    "spdlog": (["spdlog"], []),
    "gtest": (["gtest"], []),
    "gmock": (["gmock"], []),
    "benchmark": (["benchmark"], []),
}

def _pkg_config(ctx, modules):
    res = ctx.execute(["pkg-config", "--libs"] + modules)
    if res.return_code != 0:
        fail("pkg-config failed for %s (run ./switchboard setup): %s" % (modules, res.stderr))
    return [f for f in res.stdout.strip().split(" ") if f]

def _system_libs_impl(ctx):
    lines = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, (modules, extra) in _LIBS.items():
        linkopts = _pkg_config(ctx, modules) + extra
        if name == "spdlog":
            defines = ["SPDLOG_FMT_EXTERNAL", "SPDLOG_SHARED_LIB", "SPDLOG_COMPILED_LIB"]
        else:
            defines = []
        lines.append("cc_library(")
        lines.append('    name = "%s",' % name)
        lines.append("    linkopts = %s," % repr(linkopts + ["-pthread"]))
        lines.append("    defines = %s," % repr(defines))
        lines.append(")")
        lines.append("")

    # Header-only libraries.
    for name in ["boost", "cpp_jwt", "nlohmann_json"]:
        lines.append('cc_library(name = "%s")' % name)
    lines.append('cc_library(name = "gtest_main", deps = [":gtest"], linkopts = ["-lgtest_main"])')
    lines.append('cc_library(name = "benchmark_main", deps = [":benchmark"], linkopts = ["-lbenchmark_main"])')
    ctx.file("BUILD", "\n".join(lines) + "\n")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)

system_libs = repository_rule(
    implementation = _system_libs_impl,
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)
