"""sb_fuzz_target: a libFuzzer target, built only with --config=fuzz.

A fuzz target is a cc_binary whose LLVMFuzzerTestOneInput is driven by
libFuzzer's own main(). It is tagged "manual" so `bazel build //...` and
`bazel test //...` skip it, and is incompatible with every configuration but
--config=fuzz (which defines sb_fuzz=1 and builds with clang): asking for it
without the config fails at analysis instead of at link time with gcc.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")

def sb_fuzz_target(name, srcs, deps = [], **kwargs):
    """Declares the libFuzzer binary `name`.

    Args:
      name: the binary; its seed corpus is tests/fuzz/corpus/<name>/.
      srcs: sources, one of which defines LLVMFuzzerTestOneInput.
      deps: libraries under test.
      **kwargs: passed on to cc_binary.
    """
    cc_binary(
        name = name,
        srcs = srcs,
        deps = deps,
        testonly = True,
        # The sanitizers come from the config; libFuzzer's main only belongs here,
        # not on every binary of the fuzz build.
        linkopts = select({
            "//tests/fuzz:fuzz_build": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        target_compatible_with = select({
            "//tests/fuzz:fuzz_build": [],
            "//conditions:default": ["@platforms//:incompatible"],
        }),
        tags = ["manual", "fuzz_target"],
        **kwargs
    )
