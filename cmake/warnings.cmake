# Strict warnings for the project's own targets. Warnings become errors only when the caller
# asks (CI passes -DCMAKE_COMPILE_WARNING_AS_ERROR=ON), so a newer compiler cannot break a
# user's build.
function(provision_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wdouble-promotion
    -Wformat=2 -Wimplicit-fallthrough)
endfunction()
