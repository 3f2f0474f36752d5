"""A system library under /usr, checked against the pins.

system_library_repository(name, build_file) is new_local_repository(path = "/usr") (the same
symlinks, so the same action inputs and keys) that first resolves a file of @debian_packages: the
repository fails when the pins check fails (tools/build/debian_packages.bzl), and is re-run, with
a fresh evaluation of build_file's globs, whenever the installed versions change. Compile actions
are then invalidated by the changed headers themselves (their digests are action inputs).
"""

def _system_library_repository_impl(rctx):
    rctx.path(rctx.attr.pins)
    for entry in rctx.path(rctx.attr.path).readdir():
        rctx.symlink(entry, entry.basename)
    rctx.symlink(rctx.attr.build_file, "BUILD.bazel")

system_library_repository = repository_rule(
    implementation = _system_library_repository_impl,
    attrs = {
        "build_file": attr.label(allow_single_file = True, mandatory = True),
        "path": attr.string(default = "/usr"),
        "pins": attr.label(
            default = Label("@debian_packages//:inputs_sha256.txt"),
            allow_single_file = True,
        ),
    },
    local = True,
)
