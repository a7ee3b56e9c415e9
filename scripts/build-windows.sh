#!/usr/bin/env bash
# Cross-builds tayori-agent.exe for Windows x64 with Debian's mingw-w64
# (g++ with POSIX threads), from the sources of its dependencies as Debian
# ships them (`apt-get source`, from a deb-src entry for the archive this
# machine already uses). Nothing is downloaded from anywhere else.
#
#   scripts/build-windows.sh          build (deps once, cached) and the agent
#   scripts/build-windows.sh --zip    ... and the installer zip (package-windows.sh)
#
# The dependencies are built once into the cache, outside the build tree:
# TAYORI_WINDOWS_CACHE (default ~/.cache/tayori-windows) holds src/ (the
# Debian sources), prefix/ (the static libraries and headers) and one stamp
# per dependency; delete a stamp to rebuild that one. The agent itself is
# built in build-windows/ (bin/tayori-agent.exe, statically linked: the
# exe needs no DLL beside it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache="${TAYORI_WINDOWS_CACHE:-$HOME/.cache/tayori-windows}"
prefix="$cache/prefix"
host=x86_64-w64-mingw32
export CC=$host-gcc-posix CXX=$host-g++-posix AR=$host-ar RANLIB=$host-ranlib
# pkg-config sees only what was built for Windows, never the host's .pc files.
export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" PKG_CONFIG_PATH=""

need=(mingw-w64 dpkg-dev cmake make autoconf automake libtool protobuf-compiler python3)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# A deb-src entry for the archive that the machine's own deb entries name.
src_list=/etc/apt/sources.list.d/tayori-deb-src.sources
if ! grep -rqs '^Types: *deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  {
    [ -f /etc/apt/sources.list.d/debian.sources ] &&
      sed 's/^Types: *deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources
    [ -f /etc/apt/sources.list ] && sed -n 's/^deb /deb-src /p' /etc/apt/sources.list
  } > "${src_list%.sources}.list.tmp" || true
  if grep -q '^deb-src ' "${src_list%.sources}.list.tmp"; then
    mv "${src_list%.sources}.list.tmp" "${src_list%.sources}.list"
  else
    mv "${src_list%.sources}.list.tmp" "$src_list"
  fi
  apt-get update -qq
fi

mkdir -p "$cache/src" "$prefix/include" "$prefix/lib"
stamp() { echo "$cache/$1.done"; }

# Unpacks the Debian source package $1 (patches applied) into src/ once and
# prints its folder ($2: the folder's name before the version, if not $1).
# The newest version comes first; a version the mirror no longer has (a
# security update superseded) gives way to the next one the index lists.
fetch() {
  local pkg=$1 name=${2:-$1} v
  if ! ls -d "$cache/src/$name"-*/ >/dev/null 2>&1; then
    (cd "$cache/src" && {
       apt-get source -qq "$pkg" >/dev/null 2>&1 ||
         for v in $(apt-cache showsrc "$pkg" | sed -n 's/^Version: //p' | sort -r -V); do
           apt-get source -qq "$pkg=$v" >/dev/null 2>&1 && break
         done
     })
  fi
  ls -d "$cache/src/$name"-*/ 2>/dev/null | head -1 | grep . || { echo "apt-get source $pkg failed" >&2; return 1; }
}

cmake_dep() {  # name, source folder, extra cmake flags...
  local name=$1 dir=$2
  shift 2
  cmake -S "$dir" -B "$cache/build/$name" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64.cmake" \
    -DTAYORI_WINDOWS_PREFIX="$prefix" -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=OFF "$@" &&
    cmake --build "$cache/build/$name" -j2 &&
    cmake --install "$cache/build/$name"
}

build_dep() {
  local name=$1 start=$SECONDS
  [ -f "$(stamp "$name")" ] && return 0
  echo "building $name for Windows (log: $cache/build-$name.log)"
  if ! "build_$name" >>"$cache/build-$name.log" 2>&1; then
    tail -30 "$cache/build-$name.log" >&2
    echo "$name did not build; the log is $cache/build-$name.log" >&2
    exit 1
  fi
  touch "$(stamp "$name")"
  echo "  $name: $((SECONDS - start)) s"
}

build_libsodium() {
  local dir
  dir=$(fetch libsodium) || return 1
  (cd "$dir" && { [ -x configure ] || autoreconf -fi; } && ./configure --host=$host --prefix="$prefix" --disable-shared --enable-static --disable-ssp \
     && make -j2 && make install)
}

build_openssl() {
  local dir
  dir=$(fetch openssl) || return 1
  # libcrypto only (x509, hashes); no programs, no tests, no modules.
  (cd "$dir" && export CC=gcc-posix AR=ar RANLIB=ranlib &&
     ./Configure mingw64 no-shared no-tests no-module no-engine no-dso \
       --cross-compile-prefix=$host- --prefix="$prefix" --libdir=lib &&
     make -j2 build_libs && make install_dev)
}

build_zeromq() {
  local dir
  dir=$(fetch zeromq3) || return 1
  cmake_dep zeromq "$dir" -DBUILD_SHARED=OFF -DBUILD_STATIC=ON -DBUILD_TESTS=OFF -DWITH_DOCS=OFF \
    -DWITH_PERF_TOOL=OFF -DENABLE_CURVE=ON -DWITH_LIBSODIUM=ON -DWITH_LIBSODIUM_STATIC=ON \
    -DENABLE_DRAFTS=OFF -DENABLE_PRECOMPILED=OFF -DZMQ_BUILD_TESTS=OFF -DZMQ_WIN32_WINNT=0x0A00 \
    -DZMQ_HAVE_IPC=OFF \
    -Dsodium_INCLUDE_DIR="$prefix/include" -Dsodium_LIBRARY_RELEASE="$prefix/lib/libsodium.a" \
    -DSODIUM_INCLUDE_DIRS="$prefix/include" -DSODIUM_LIBRARIES="$prefix/lib/libsodium.a"
}

build_protobuf() {
  local dir src
  dir=$(fetch protobuf) || return 1
  src=$dir
  [ -f "$dir/CMakeLists.txt" ] || src=$dir/cmake
  cmake_dep protobuf "$src" -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF \
    -Dprotobuf_BUILD_LIBPROTOC=OFF -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_EXAMPLES=OFF
}

build_yamlcpp() {
  local dir
  dir=$(fetch yaml-cpp) || return 1
  cmake_dep yamlcpp "$dir" -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF \
    -DYAML_CPP_BUILD_CONTRIB=OFF -DYAML_BUILD_SHARED_LIBS=OFF
}

build_zstd() {
  local dir
  dir=$(fetch libzstd) || return 1
  cmake_dep zstd "$dir/build/cmake" -DZSTD_BUILD_SHARED=OFF -DZSTD_BUILD_STATIC=ON -DZSTD_BUILD_PROGRAMS=OFF \
    -DZSTD_BUILD_TESTS=OFF -DZSTD_MULTITHREAD_SUPPORT=OFF -DZSTD_LEGACY_SUPPORT=OFF
}

build_googletest() {  # for the Windows side's own tests, run under wine
  local dir
  dir=$(fetch googletest) || return 1
  cmake_dep googletest "$dir" -DBUILD_GMOCK=OFF -DINSTALL_GTEST=ON
}

# The headers of a Debian binary package ($1), unpacked into src/$1-deb:
# for header-only libraries, whose binary package is their source.
fetch_deb() {
  local pkg=$1
  if [ ! -d "$cache/src/$pkg-deb" ]; then
    (cd "$cache/src" && apt-get download -qq "$pkg" >/dev/null 2>&1 && dpkg-deb -x "$pkg"_*.deb "$pkg-deb") ||
      { echo "apt-get download $pkg failed" >&2; return 1; }
  fi
  echo "$cache/src/$pkg-deb"
}

build_headers() {  # the header-only ones: copied, not built
  local dir
  dir=$(fetch nlohmann-json3) || return 1
  mkdir -p "$prefix/include/nlohmann"
  cp "$dir"/single_include/nlohmann/*.hpp "$prefix/include/nlohmann/"
  dir=$(fetch cli11) || return 1
  cp -r "$dir"/include/CLI "$prefix/include/"
  # cppzmq: from its source package, or else its -dev package (the same two
  # headers) when the mirror no longer has the source.
  if dir=$(fetch cppzmq 2>/dev/null); then
    cp "$dir"/zmq.hpp "$dir"/zmq_addon.hpp "$prefix/include/"
  else
    dir=$(fetch_deb cppzmq-dev) || return 1
    cp "$dir"/usr/include/zmq.hpp "$dir"/usr/include/zmq_addon.hpp "$prefix/include/"
  fi
  # cpp-httplib: the single header of the source (Debian's -dev package
  # holds a header split from a compiled library).
  dir=$(fetch cpp-httplib) || return 1
  cp "$dir"/httplib.h "$prefix/include/"
}

start=$SECONDS
build_dep libsodium
build_dep openssl
build_dep zeromq
build_dep protobuf
build_dep yamlcpp
build_dep zstd
build_dep googletest
build_dep headers

echo "building tayori-agent.exe (log: build-windows/build.log)"
mkdir -p build-windows
cmake -S . -B build-windows -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64.cmake" \
  -DTAYORI_WINDOWS_PREFIX="$prefix" -DTAYORI_WINDOWS_AGENT=ON -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_TESTING=OFF >build-windows/build.log 2>&1 || { tail -30 build-windows/build.log; exit 1; }
cmake --build build-windows -j2 --target tayori-agent env_windows_test >>build-windows/build.log 2>&1 || { grep -m20 -B2 -A8 'error' build-windows/build.log; exit 1; }
ls -l build-windows/bin/tayori-agent.exe build-windows/bin/env_windows_test.exe
echo "done in $((SECONDS - start)) s"
if [ "${1:-}" = "--zip" ]; then bash scripts/package-windows.sh; fi
