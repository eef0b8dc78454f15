# Instruction set of the whole build. DTPINN_ISA:
#   auto      (default) x86-64-v3 (AVX2 + FMA) when the configuring host's CPU has AVX2 and FMA
#             and the compiler accepts -march=x86-64-v3; baseline otherwise
#   x86-64-v3 always (for a build that runs only on AVX2 + FMA machines)
#   baseline  the compiler's default target (x86-64: SSE2, no FMA)
#
# Applied with add_compile_options at the top level, i.e. to EVERY target of the project (C++
# and the host code nvcc compiles), because Eigen's alignment and vectorisation (and so the
# layout of fixed-size Eigen members passed across libraries) depend on it: mixing ISAs between
# translation units is an ODR/ABI hazard. Must be included before any add_subdirectory.
# Binaries built with x86-64-v3 stop with SIGILL on CPUs without AVX2: configure with
# -DDTPINN_ISA=baseline to build for another machine.
include(CheckCXXSourceRuns)
include(CheckCXXCompilerFlag)

set(DTPINN_ISA "auto" CACHE STRING "Instruction set: auto, x86-64-v3 or baseline")
set_property(CACHE DTPINN_ISA PROPERTY STRINGS auto x86-64-v3 baseline)

set(_dtpinn_isa_flags "")
if(DTPINN_ISA STREQUAL "baseline")
  set(_dtpinn_isa "baseline")
elseif(DTPINN_ISA STREQUAL "auto" OR DTPINN_ISA STREQUAL "x86-64-v3")
  check_cxx_compiler_flag("-march=x86-64-v3" DTPINN_COMPILER_HAS_X86_64_V3)
  if(DTPINN_ISA STREQUAL "x86-64-v3")
    if(NOT DTPINN_COMPILER_HAS_X86_64_V3)
      message(FATAL_ERROR "DTPINN_ISA=x86-64-v3: the compiler does not accept -march=x86-64-v3")
    endif()
    set(_dtpinn_isa "x86-64-v3")
  elseif(DTPINN_COMPILER_HAS_X86_64_V3)
    # Run on the configuring host: the build is meant to run where it is configured.
    set(CMAKE_REQUIRED_FLAGS "-march=x86-64-v3")
    check_cxx_source_runs(
      "int main() {
         __builtin_cpu_init();
         return (__builtin_cpu_supports(\"avx2\") && __builtin_cpu_supports(\"fma\")) ? 0 : 1;
       }"
      DTPINN_HOST_HAS_AVX2_FMA)
    unset(CMAKE_REQUIRED_FLAGS)
    if(DTPINN_HOST_HAS_AVX2_FMA)
      set(_dtpinn_isa "x86-64-v3")
    else()
      set(_dtpinn_isa "baseline")
    endif()
  else()
    set(_dtpinn_isa "baseline")
  endif()
else()
  message(FATAL_ERROR "DTPINN_ISA='${DTPINN_ISA}': expected auto, x86-64-v3 or baseline")
endif()

if(_dtpinn_isa STREQUAL "x86-64-v3")
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-march=x86-64-v3>
                      $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-march=x86-64-v3>)
endif()
# No implicit contraction of a * b + c into an FMA (GCC's default for GNU C++ once the ISA has
# FMA): scalar code then rounds the same whatever the ISA, so node files round-trip bitwise and
# results do not change with DTPINN_ISA. Eigen's explicit FMA intrinsics are unaffected.
add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-ffp-contract=off>
                    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-ffp-contract=off>)
set(DTPINN_ISA_EFFECTIVE "${_dtpinn_isa}" CACHE INTERNAL "ISA the build compiles for")
message(STATUS "dtpinn: isa=${_dtpinn_isa} (DTPINN_ISA=${DTPINN_ISA})")
