# Distributed training: the dtpinn_distributed library (core/src/distributed/*.cpp),
# on LibTorch's c10d (TCPStore + ProcessGroupGloo on CPU, ProcessGroupNCCL on CUDA).
#
# Why a separate target: torch's ProcessGroupGloo.hpp includes gloo headers that the PyPI torch
# wheel does not ship. libtorch_cpu.so contains (and exports) gloo and ProcessGroupGloo, so we
# compile against Debian's libgloo-dev headers (scripts/install.sh) and link only LibTorch; we
# use only the c10d API (device factory, Options, the constructor, Backend collectives), which
# touches gloo types through shared_ptr only, so the older gloo snapshot of the headers is
# ABI-safe for what we call. Without the headers the target is simply not built.
#
# Called from core/CMakeLists.txt after dtpinn_core; tests/ and bench/ build test_distributed
# and bench_dist* only when the target exists.

function(dtpinn_add_distributed)
  if(TARGET dtpinn_distributed OR NOT DTPINN_WITH_TORCH)
    return()
  endif()
  find_path(DTPINN_GLOO_INCLUDE_DIR gloo/context.h DOC "gloo headers (Debian libgloo-dev)")
  if(NOT DTPINN_GLOO_INCLUDE_DIR)
    message(STATUS "dtpinn: gloo headers not found (apt-get install libgloo-dev): "
                   "distributed training is not built")
    return()
  endif()
  file(GLOB _src CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/core/src/distributed/*.cpp)
  add_library(dtpinn_distributed STATIC ${_src})
  target_include_directories(dtpinn_distributed PUBLIC ${PROJECT_SOURCE_DIR}/core/include)
  if(NOT DTPINN_GLOO_INCLUDE_DIR STREQUAL "/usr/include")
    target_include_directories(dtpinn_distributed SYSTEM PRIVATE ${DTPINN_GLOO_INCLUDE_DIR})
  endif()
  # ProcessGroupGloo.hpp is empty unless USE_C10D_GLOO is defined (torch's own build flag).
  target_compile_definitions(dtpinn_distributed PRIVATE USE_C10D_GLOO)
  target_link_libraries(dtpinn_distributed PUBLIC dtpinn_core
                        PRIVATE fmt::fmt nlohmann_json::nlohmann_json OpenMP::OpenMP_CXX)
  set_target_properties(dtpinn_distributed PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(COMMAND dtpinn_warnings)
    dtpinn_warnings(dtpinn_distributed)
  endif()

  # NCCL: only with CUDA and the nccl.h of the wheel's nvidia-nccl package (or the system's).
  if(DTPINN_HAVE_CUDA)
    get_filename_component(_torch_root "${DTPINN_TORCH_PREFIX}/../.." ABSOLUTE)
    find_path(DTPINN_NCCL_INCLUDE_DIR nccl.h
              HINTS ${_torch_root}/../nvidia/nccl/include ${_torch_root}/nvidia/nccl/include
              DOC "NCCL headers")
    if(DTPINN_NCCL_INCLUDE_DIR)
      set_source_files_properties(${PROJECT_SOURCE_DIR}/core/src/distributed/nccl_group.cpp
        TARGET_DIRECTORY dtpinn_distributed
        PROPERTIES COMPILE_DEFINITIONS "DTPINN_DIST_NCCL;USE_C10D_NCCL"
                   INCLUDE_DIRECTORIES "${DTPINN_NCCL_INCLUDE_DIR}")
      message(STATUS "dtpinn: distributed training with gloo and nccl")
    else()
      message(STATUS "dtpinn: distributed training with gloo (nccl.h not found)")
    endif()
  else()
    message(STATUS "dtpinn: distributed training with gloo")
  endif()
endfunction()
