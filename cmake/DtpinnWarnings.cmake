# dtpinn_warnings(target): -Wall -Wextra on our own code (never on third-party headers, which
# are included as SYSTEM by their imported targets).
function(dtpinn_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-unused-parameter>
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
endfunction()
