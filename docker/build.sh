#!/usr/bin/env bash
# Build drbench's Docker images (docs/docker.md).
#
#   docker/build.sh [cpu|gpu] [--base published|local] [--tag NAME] [--cuda-archs "8.0;9.0"]
#                   [--no-cache] [-- EXTRA DOCKER BUILD ARGS]
#
# cpu (default) builds docker/Dockerfile as `drbench`; gpu builds docker/Dockerfile.gpu as
# `drbench:gpu` (also tagged `drbench-gpu`).
#
# --base published (default): FROM the digest-pinned python:3.11-slim-bookworm of the Dockerfiles.
# --base local: FROM a Debian bookworm base with Python 3.11 bootstrapped here from the Debian
#   mirror apt uses (debootstrap, then `docker import`; needs root, made once and kept as
#   drbench-base:bookworm-local), for machines that reach no container registry.
# --cuda-archs (gpu): TORCH_CUDA_ARCH_LIST for mmcv's CUDA ops. Default: every architecture from
#   Turing to Blackwell (the release build) with the published base, "9.0" (Hopper) with
#   --base local, where compiling for all of them would take hours on a small machine.
#
# What it hands to the build, and how:
# - the git commit (and whether the tree was dirty): build args that end up as the image's
#   DRBENCH_GIT_COMMIT / DRBENCH_GIT_DIRTY, what its leaderboard entries record;
# - this machine's pip settings (index, extra indexes, find-links, CA bundle, constraints,
#   trusted hosts): BuildKit secrets, mounted only for the RUN that installs, never stored in a
#   layer; local folders among them are served on 127.0.0.1 for the build's duration
#   (docker/pip_for_build.py), so the build runs with --network host;
# - the mmcv wheel cache ($DRBENCH_WHEEL_CACHE, default ~/.cache/drbench/wheels): an image
#   (drbench-wheels:host) the build copies into its BuildKit cache mount, so mmcv is compiled
#   only when no wheel for that Python, torch (and CUDA architectures) exists anywhere.
#
# Needs BuildKit: `docker buildx`, or a Docker client older than 23 with DOCKER_BUILDKIT=1
# (Debian's docker.io). $DOCKER picks the client.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=cpu base=published tag="" archs="" extra=() no_cache=()
while [ $# -gt 0 ]; do
  case "$1" in
    cpu|gpu) target=$1 ;;
    --base) base=${2:?--base needs published or local}; shift ;;
    --base=*) base=${1#--base=} ;;
    --tag) tag=${2:?}; shift ;;
    --cuda-archs) archs=${2:?}; shift ;;
    --no-cache) no_cache=(--no-cache) ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "docker/build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$base" in published|local) ;; *) echo "docker/build.sh: --base published or local" >&2; exit 2 ;; esac

say() { printf 'docker/build.sh: %s\n' "$*" >&2; }

# A client that builds with BuildKit.
build_cmd=()
for client in ${DOCKER:-docker /usr/bin/docker}; do
  command -v "$client" >/dev/null 2>&1 || continue
  if "$client" buildx version >/dev/null 2>&1; then
    build_cmd=("$client" buildx build --load); docker=$client; break
  fi
  major=$("$client" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1 || true)
  if [ -n "$major" ] && [ "$major" -lt 23 ] 2>/dev/null; then
    build_cmd=(env DOCKER_BUILDKIT=1 "$client" build); docker=$client; break
  fi
done
if [ ${#build_cmd[@]} -eq 0 ]; then
  say "no Docker client that builds with BuildKit: install docker buildx (or Debian's docker.io)"
  exit 1
fi
"$docker" info >/dev/null 2>&1 || { say "no Docker engine answers ($docker info failed)"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/drbench-build.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$target" = gpu ]; then args=(-f "$repo/docker/Dockerfile.gpu"); else args=(-f "$repo/docker/Dockerfile"); fi
if [ -z "$tag" ]; then
  if [ "$target" = gpu ]; then args+=(-t drbench:gpu -t drbench-gpu); else args+=(-t drbench); fi
else
  args+=(-t "$tag")
fi

# The base.
if [ "$base" = local ]; then
  base_image=drbench-base:bookworm-local
  if ! "$docker" image inspect "$base_image" >/dev/null 2>&1; then
    command -v debootstrap >/dev/null || { say "--base local needs debootstrap (apt-get install debootstrap)"; exit 1; }
    mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
    mirror=${mirror:-$(awk '$1 == "deb" && $3 ~ /^bookworm/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)}
    mirror=${mirror:-http://deb.debian.org/debian}
    say "bootstrapping $base_image from $mirror (debootstrap, about a minute)"
    debootstrap --variant=minbase --include=python3,python3-venv,python3-dev,ca-certificates \
      bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
    rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
    tar -C "$work/rootfs" -c . | "$docker" import --change 'CMD ["bash"]' - "$base_image" >/dev/null
    rm -rf "$work/rootfs"
  fi
  args+=(--build-arg "BASE=$base_image")
  [ "$target" = gpu ] && archs=${archs:-9.0}
fi
[ -n "$archs" ] && args+=(--build-arg "TORCH_CUDA_ARCH_LIST=$archs")

# The commit the image is built from.
commit=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
dirty=""
if [ "$commit" != unknown ]; then
  if [ -n "$(git -C "$repo" status --porcelain 2>/dev/null)" ]; then dirty=true; else dirty=false; fi
fi
args+=(--build-arg "DRBENCH_GIT_COMMIT=$commit" --build-arg "DRBENCH_GIT_DIRTY=$dirty")

# The host's mmcv wheels, as an image the build copies from.
wheels=${DRBENCH_WHEEL_CACHE:-$HOME/.cache/drbench/wheels}
if [ -n "$(find "$wheels" -name 'mmcv-*.whl' 2>/dev/null | head -1)" ]; then
  printf 'FROM scratch\nCOPY . /\n' > "$work/Dockerfile.wheels"
  "${build_cmd[@]}" -q -f "$work/Dockerfile.wheels" -t drbench-wheels:host "$wheels" >/dev/null
  args+=(--build-arg WHEELS=drbench-wheels:host)
  say "mmcv wheels from $wheels: $(find "$wheels" -name 'mmcv-*.whl' -printf '%P ' )"
fi

# This machine's pip settings, as secrets; its local package folders, served for the build.
if command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 "$repo/docker/pip_for_build.py" prepare "$work/pip" --port "$port" | sed 's/^/  pip: /' >&2
  if [ -n "$(ls -A "$work/pip/served")" ]; then
    python3 "$repo/docker/pip_for_build.py" serve "$work/pip" --port "$port" &
    server_pid=$!
  fi
  # shellcheck disable=SC2046  # one flag and its value per line
  args+=($(cat "$work/pip/secrets") --network host)
fi

say "building $target from the $base base: ${build_cmd[*]} ${args[*]} ${extra[*]:-} $repo"
started=$(date +%s)
"${build_cmd[@]}" "${args[@]}" "${no_cache[@]}" "${extra[@]}" "$repo"
took=$(( $(date +%s) - started ))
image=${tag:-$([ "$target" = gpu ] && echo drbench:gpu || echo drbench)}
size=$("$docker" image inspect "$image" --format '{{.Size}}')
say "built $image in ${took} s: $(( size / 1000000 )) MB, git commit $commit${dirty:+ (dirty: $dirty)}"
