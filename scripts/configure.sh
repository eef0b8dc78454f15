# Sourced by the other scripts: configures a build folder once (Release, ccache when present).
dtpinn_configure() {
  local root="$1" build="$2"
  local launcher=()
  if command -v ccache >/dev/null 2>&1; then
    # base_dir makes cache entries independent of where the clone lives (CI clones afresh).
    launcher=("-DCMAKE_CXX_COMPILER_LAUNCHER=env;CCACHE_BASEDIR=$root;ccache"
              "-DCMAKE_CUDA_COMPILER_LAUNCHER=env;CCACHE_BASEDIR=$root;ccache")
  fi
  if [ ! -f "$build/CMakeCache.txt" ]; then
    echo "[configure] cmake -S $root -B $build"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >"$build.configure.log" 2>&1 ||
      { cat "$build.configure.log"; return 1; }
    grep -E '^-- dtpinn' "$build.configure.log" || true
  fi
}
