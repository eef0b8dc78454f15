# Distributed training (issue 12): the dtpinn_distributed library (core/src/distributed/*.cpp),
# on LibTorch's c10d (TCPStore + ProcessGroupGloo on CPU, ProcessGroupNCCL on CUDA).
#
# Why a separate target: torch's ProcessGroupGloo.hpp includes gloo headers that the PyPI torch
# wheel does not ship. libtorch_cpu.so contains (and exports) gloo and ProcessGroupGloo, so we
# compile against Debian's libgloo-dev headers (scripts/install.sh) and link only LibTorch; we
# use only the c10d API (device factory, Options, the constructor, Backend collectives), which
# touches gloo types through shared_ptr only, so the older gloo snapshot of the headers is
# ABI-safe for what we call. Without the headers the target is simply not built.
#
# Use (core/CMakeLists.txt, after dtpinn_core):
#   include(DtpinnDistributed)
#   dtpinn_add_distributed()
# tests/CMakeLists.txt:  if(TARGET dtpinn_distributed) dtpinn_test(test_distributed ...) endif()
# bench_dist*.cpp executables get dtpinn_distributed linked at the end of configuration.
#
# Stand-alone (before the lead's integration): configure with
#   -DCMAKE_PROJECT_INCLUDE=<src>/cmake/DtpinnDistributed.cmake -DDTPINN_DISTRIBUTED_STANDALONE=ON

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
  if(NOT DTPINN_DISTRIBUTED_STANDALONE)
    cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _dtpinn_distributed_finish)
  endif()
endfunction()

# Links the bench_dist* executables (bench/CMakeLists.txt globbed them with dtpinn_core only)
# and, stand-alone, creates test_distributed.
function(_dtpinn_distributed_finish)
  if(NOT TARGET dtpinn_distributed)
    return()
  endif()
  file(GLOB _benches ${PROJECT_SOURCE_DIR}/bench/bench_dist*.cpp)
  foreach(src ${_benches})
    get_filename_component(name ${src} NAME_WE)
    if(TARGET ${name})
      target_link_libraries(${name} PRIVATE dtpinn_distributed)
    endif()
  endforeach()
  if(NOT TARGET test_distributed AND DTPINN_BUILD_TESTS AND COMMAND dtpinn_test)
    file(GLOB _t ${PROJECT_SOURCE_DIR}/tests/distributed/*.cpp)
    if(_t)
      add_executable(test_distributed ${_t})
      target_link_libraries(test_distributed PRIVATE dtpinn_distributed GTest::gtest
                                                     GTest::gtest_main fmt::fmt)
      target_compile_definitions(test_distributed PRIVATE
        DTPINN_SOURCE_DIR="${PROJECT_SOURCE_DIR}" DTPINN_BINARY_DIR="${PROJECT_BINARY_DIR}")
      set_target_properties(test_distributed PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                                                        ${PROJECT_BINARY_DIR}/tests)
      gtest_discover_tests(test_distributed DISCOVERY_TIMEOUT 120 PROPERTIES TIMEOUT 300)
    endif()
  endif()
endfunction()

function(_dtpinn_distributed_standalone)
  dtpinn_add_distributed()
  _dtpinn_distributed_finish()
endfunction()

if(DTPINN_DISTRIBUTED_STANDALONE AND NOT _DTPINN_DISTRIBUTED_DEFERRED)
  set(_DTPINN_DISTRIBUTED_DEFERRED ON)
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _dtpinn_distributed_standalone)
endif()
