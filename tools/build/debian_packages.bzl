"""The pins check: the Debian packages of tools/build/packages.lock as they are installed.

debian_packages_repository(name) reads the lock and asks `dpkg-query -W` (found on the PATH of
Bazel's client environment, or of --repo_env=PATH=...) for the installed version of every package
in it. The build stops, naming each package with its pinned and installed versions and the fix
(tools/setup.sh), when
  - a package of the lock is installed in another version, or
  - a required package (a line without prefix) is not installed.
Lines `optional:` and `sanitizers:` are installed only by `tools/setup.sh --python/--sanitizers`:
when absent they are listed as "absent"; when installed, their version is checked like the others.

Override, for builds made on purpose against other versions (a newer Abseil, a CUDA LibTorch via
LIBTORCH_HOME next to another libtorch-dev):
    bazel build --repo_env=LASNN_UNPINNED=libabsl-dev,libtorch-dev ...   (or LASNN_UNPINNED=all)
The named packages may differ from the lock (a warning names them); the override's value is
stamped into //tools:build_info and every run record (Provenance.unpinned_override).

Re-running: the rule reads the dpkg database (/var/lib/dpkg/status, exposed through the label
`dpkg_status`), so installing, upgrading or removing any package re-runs it; so do a changed lock,
LASNN_UNPINNED and LIBTORCH_HOME. The system-library repositories of third_party/ resolve a file of
this repository, so they are re-run with it, and fail with it.

The repository holds:
  :installed_packages  cc_library defining, in namespace lasnn,
      kInstalledPackages  one line a lock entry: "name<TAB>kind<TAB>pinned<TAB>installed", kind in
                          {required, optional, sanitizers}, installed "absent" when not installed;
      kInputsSha256       SHA-256 (hex) of inputs.txt;
      kUnpinnedOverride   the value of LASNN_UNPINNED ("" when unset).
  inputs.txt           "name=installed" per lock entry in lock order, then "LIBTORCH_HOME=<dir>"
                       when set: what the build compiled against, as the check saw it.
  inputs_sha256.txt    its SHA-256, one line.
"""

_FIX = ("Fix: run tools/setup.sh (add --sanitizers / --python for those lines) to install the " +
        "pinned versions, then build again. To build on purpose against other versions, name " +
        "the packages in --repo_env=LASNN_UNPINNED=pkg1,pkg2 (or LASNN_UNPINNED=all); the " +
        "override is stamped into build_info and the run records.")

def _parse_lock(text):
    """The entries of a packages.lock text: a list of (name, kind, version), in file order."""
    entries = []
    for number, raw in enumerate(text.split("\n")):
        line = raw.split("#")[0].replace(" ", "").replace("\t", "").replace("\r", "")
        if not line:
            continue
        kind = "required"
        for prefix in ["optional", "sanitizers"]:
            if line.startswith(prefix + ":"):
                kind = prefix
                line = line[len(prefix) + 1:]
        name, sep, version = line.partition("=")
        if not sep or not name or not version:
            fail("tools/build/packages.lock:%d: expected " % (number + 1) +
                 "[optional:|sanitizers:]NAME=VERSION, got '%s'" % raw)
        entries.append((name, kind, version))
    return entries

def _installed_versions(rctx, names):
    """dict name -> installed version, for the names dpkg knows as installed ("ii")."""
    dpkg_query = rctx.which("dpkg-query")
    if not dpkg_query:
        fail("The pins check needs dpkg-query (Debian's dpkg) on PATH to read the installed " +
             "versions of tools/build/packages.lock; PATH=%s" % rctx.os.environ.get("PATH", ""))
    result = rctx.execute(
        [dpkg_query, "-W", "-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n"] + names,
    )

    # Exit status 1 only says that some names are unknown to dpkg; those are simply not listed.
    if result.return_code not in [0, 1]:
        fail("dpkg-query -W failed (exit %d): %s" % (result.return_code, result.stderr))
    installed = {}
    for line in result.stdout.split("\n"):
        fields = line.split("\t")
        if len(fields) != 3:
            continue
        name, status, version = fields[0].split(":")[0], fields[1].strip(), fields[2].strip()
        if status == "ii" and version and name not in installed:
            installed[name] = version
    return installed

def _sha256(rctx, path):
    sha256sum = rctx.which("sha256sum")
    if not sha256sum:
        fail("The pins check needs sha256sum (coreutils) on PATH")
    result = rctx.execute([sha256sum, path])
    if result.return_code != 0:
        fail("sha256sum %s failed: %s" % (path, result.stderr))
    return result.stdout.split(" ")[0]

def _c_string(s):
    for char, escaped in [("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\t", "\\t")]:
        s = s.replace(char, escaped)
    return '"' + s + '"'

def _debian_packages_impl(rctx):
    entries = _parse_lock(rctx.read(rctx.attr.lock))

    # Read through a label: any change of the dpkg database re-runs this rule.
    rctx.path(rctx.attr.dpkg_status)
    installed = _installed_versions(rctx, [name for name, _, _ in entries])

    override = rctx.os.environ.get("LASNN_UNPINNED", "").strip()
    allowed = {n.strip(): True for n in override.split(",") if n.strip()}
    unknown = [n for n in allowed if n != "all" and n not in [e[0] for e in entries]]
    if unknown:
        fail("LASNN_UNPINNED names %s, not in tools/build/packages.lock" % ", ".join(unknown))
    errors = []
    overridden = []
    rows = []
    inputs = []
    for name, kind, pinned in entries:
        have = installed.get(name, "")
        rows.append("\t".join([name, kind, pinned, have or "absent"]))
        inputs.append("%s=%s" % (name, have or "absent"))
        if have == pinned or (not have and kind != "required"):
            continue
        problem = "  %s: pinned %s, %s" % (
            name,
            pinned,
            ("installed " + have) if have else "not installed",
        )
        if "all" in allowed or name in allowed:
            overridden.append(problem)
        else:
            errors.append(problem)
    if errors:
        fail("\nInstalled Debian packages differ from tools/build/packages.lock:\n" +
             "\n".join(errors) + "\n" + _FIX + "\n")
    if overridden:
        print("LASNN_UNPINNED=%s: building against versions other than the pins:\n%s" %
              (override, "\n".join(overridden)))

    libtorch_home = rctx.os.environ.get("LIBTORCH_HOME", "").rstrip("/")
    if libtorch_home:
        inputs.append("LIBTORCH_HOME=" + libtorch_home)
    rctx.file("inputs.txt", "\n".join(inputs) + "\n", executable = False)
    digest = _sha256(rctx, "inputs.txt")
    rctx.file("inputs_sha256.txt", digest + "\n", executable = False)
    rctx.file("installed_packages.cc", """// Generated by //tools/build:debian_packages.bzl.
namespace lasnn {{
extern const char kInstalledPackages[] = {rows};
extern const char kInputsSha256[] = {digest};
extern const char kUnpinnedOverride[] = {override};
}}  // namespace lasnn
""".format(
        rows = _c_string("\n".join(rows) + "\n"),
        digest = _c_string(digest),
        override = _c_string(override),
    ), executable = False)
    rctx.file("BUILD.bazel", """# Generated by //tools/build:debian_packages.bzl
package(default_visibility = ["//visibility:public"])

exports_files([
    "inputs.txt",
    "inputs_sha256.txt",
])

cc_library(
    name = "installed_packages",
    srcs = ["installed_packages.cc"],
)
""", executable = False)

debian_packages_repository = repository_rule(
    implementation = _debian_packages_impl,
    attrs = {
        "lock": attr.label(
            default = Label("//tools/build:packages.lock"),
            allow_single_file = True,
        ),
        "dpkg_status": attr.label(
            default = Label("@dpkg_status//:status"),
            allow_single_file = True,
        ),
    },
    environ = ["LASNN_UNPINNED", "LIBTORCH_HOME"],
    local = True,
)
