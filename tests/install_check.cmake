# CTest "install_tree": `cmake --install` of this build into a scratch prefix puts the binaries,
# the docs and the example manifest where README.md says, and the installed provision runs.
# Run as: cmake -DBUILD_DIR=<build> -DPREFIX=<scratch> -P install_check.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE installed OUTPUT_QUIET)
if(NOT installed EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${installed}")
endif()
foreach(file bin/provision bin/docspace-emulator share/doc/provision/README.md
             share/doc/provision/lifecycle.md share/doc/provision/examples/bots.yaml)
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()
execute_process(COMMAND "${PREFIX}/bin/provision" --version OUTPUT_VARIABLE version
                RESULT_VARIABLE ran)
if(NOT ran EQUAL 0 OR NOT version MATCHES "^provision [0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "the installed provision --version said '${version}' (exit ${ran})")
endif()
file(REMOVE_RECURSE "${PREFIX}")
