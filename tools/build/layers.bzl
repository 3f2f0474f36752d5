"""The layer order of the repository's packages, bottom first: one source for visibility and
for //tools/build:layer_test.

A package may depend only on packages of a lower layer (and on itself). Every package of the
repository must be listed; layer_test fails on an unlisted package or an upward dependency.
"""

LAYERS = [
    # Build macros, config settings, the package lock, sanitizer suppressions; system libraries.
    ["//tools/build"] + ["//third_party/" + d for d in [
        "absl",
        "benchmark",
        "gtest",
        "jemalloc",
        "libjpeg",
        "libtorch",
        "openblas",
        "opencv",
        "openssl",
        "protobuf",
        "remote_coverage_tools",
        "rules_cc",
        "rules_cc/cc",
        "zlib",
    ]] + ["//third_party"],
    ["//util"],
    ["//datasets"],
    ["//lasnn/core"],
    ["//lasnn/models"],
    ["//lasnn/parallel"],
    ["//lasnn/training"],
    ["//lasnn/interop"],
    ["//lasnn"],
    ["//baselines/conversion"],
    ["//benchmarks/experiment"],
    ["//benchmarks/harness"],
    ["//reports"],
    ["//benchmarks"],
    ["//tools"],
    ["//fuzz"],
    ["//"],
]

def _layer_of(pkg):
    label = "//" + pkg
    for i, layer in enumerate(LAYERS):
        if label in layer:
            return i
    fail("package //%s is not listed in //tools/build:layers.bzl" % pkg)

def visible_above():
    """Visibility for the calling package: every package of a higher layer."""
    mine = _layer_of(native.package_name())
    out = []
    for layer in LAYERS[mine + 1:]:
        for p in layer:
            out.append(p + ":__pkg__")
    return out

def layers_file(name):
    """Writes LAYERS as text, one line a layer (space-separated packages), bottom first."""
    native.genrule(
        name = name,
        outs = [name + ".txt"],
        cmd = "printf '%s\\n' " + " ".join(["'" + " ".join(layer) + "'" for layer in LAYERS]) +
              " > $@",
    )
