#!/usr/bin/env bash
# Installs the exact Debian packages listed in tools/build/packages.lock. Idempotent and quiet when
# everything is already present. Fails, naming the package, when a pinned version is unavailable.
#
#   tools/setup.sh            required packages
#   tools/setup.sh --python      also the optional ones (python3-torch, for parity goldens)
#   tools/setup.sh --sanitizers  also clang-14 and its runtimes (--config=asan / --config=fuzz)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lock="${here}/build/packages.lock"
want_optional=0
want_sanitizers=0
for arg in "$@"; do
  case "${arg}" in
    --python) want_optional=1 ;;
    --sanitizers) want_sanitizers=1 ;;
    -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "setup.sh: unknown argument '${arg}'" >&2; exit 2 ;;
  esac
done

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then sudo_cmd=(sudo); fi

missing=()
while IFS= read -r line; do
  line="${line%%#*}"
  line="$(echo -n "${line}" | tr -d '[:space:]')"
  [[ -z "${line}" ]] && continue
  if [[ "${line}" == optional:* ]]; then
    [[ "${want_optional}" -eq 1 ]] || continue
    line="${line#optional:}"
  fi
  if [[ "${line}" == sanitizers:* ]]; then
    [[ "${want_sanitizers}" -eq 1 ]] || continue
    line="${line#sanitizers:}"
  fi
  name="${line%%=*}"
  version="${line#*=}"
  have="$(dpkg-query -W -f='${Status} ${Version}' "${name}" 2>/dev/null || true)"
  if [[ "${have}" != "install ok installed ${version}" ]]; then
    missing+=("${name}=${version}")
  fi
done < "${lock}"

if [[ "${#missing[@]}" -eq 0 ]]; then
  exit 0
fi

echo "setup.sh: installing ${#missing[@]} pinned package(s): ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
for spec in "${missing[@]}"; do
  name="${spec%%=*}"
  version="${spec#*=}"
  if ! apt-cache madison "${name}" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' \
      | grep -qxF "${version}"; then
    echo "setup.sh: ERROR: package '${name}' version '${version}' (tools/build/packages.lock) is not" \
         "available from the configured Debian archives" >&2
    exit 1
  fi
done
if ! "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/tmp/lasnn-setup-apt.log 2>&1; then
  tail -n 30 /tmp/lasnn-setup-apt.log >&2
  echo "setup.sh: ERROR: apt-get install failed (full log: /tmp/lasnn-setup-apt.log)" >&2
  exit 1
fi
echo "setup.sh: done" >&2
