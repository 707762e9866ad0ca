# CTest "install_tree": `cmake --install` of this build into a scratch prefix puts the binaries,
# the man pages, the docs and the example manifest where README.md says, the installed
# provision runs, and `man -l` renders both pages. The pages are hand-written, so that they
# cannot go stale silently: every subcommand of `provision --help` and every option of
# `provision CMD --help` (and of `docspace-emulator --help`) must appear in its rendered page,
# and every option a page names must still exist.
# Run as: cmake -DBUILD_DIR=<build> -DPREFIX=<scratch> -P install_check.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE installed OUTPUT_QUIET)
if(NOT installed EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${installed}")
endif()
cmake_minimum_required(VERSION 3.25)
foreach(file bin/provision bin/docspace-emulator share/man/man1/provision.1
             share/man/man1/docspace-emulator.1 share/doc/provision/README.md
             share/doc/provision/lifecycle.md share/doc/provision/examples/bots.yaml
             share/bash-completion/completions/provision share/zsh/vendor-completions/_provision
             share/fish/vendor_completions.d/provision.fish)
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()
execute_process(COMMAND "${PREFIX}/bin/provision" --version OUTPUT_VARIABLE version
                RESULT_VARIABLE ran)
if(NOT ran EQUAL 0 OR NOT version MATCHES "^provision [0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "the installed provision --version said '${version}' (exit ${ran})")
endif()

# The completion scripts parse (the e2e tests run them).
foreach(script share/bash-completion/completions/provision share/zsh/vendor-completions/_provision)
  execute_process(COMMAND bash -n "${PREFIX}/${script}" RESULT_VARIABLE parsed ERROR_VARIABLE why)
  if(NOT parsed EQUAL 0)
    message(FATAL_ERROR "bash -n ${script}: ${why}")
  endif()
endforeach()

find_program(MAN man)
if(NOT MAN)
  message(FATAL_ERROR "man not found: install man-db (scripts/setup does)")
endif()

# The page as a reader sees it: ASCII (so \- is '-'), one line per paragraph (so no option is
# hyphenated across lines).
function(render_page page out_var)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env LC_ALL=C MANPAGER=cat MANWIDTH=1000
                          "${MAN}" -P cat -l "${page}"
                  OUTPUT_VARIABLE text ERROR_VARIABLE errors RESULT_VARIABLE rendered)
  if(NOT rendered EQUAL 0 OR errors)
    message(FATAL_ERROR "man -l ${page} exited ${rendered}: ${errors}")
  endif()
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# Every --option a help text names.
function(help_options out_var)
  execute_process(COMMAND ${ARGN} --help OUTPUT_VARIABLE help RESULT_VARIABLE ran)
  if(NOT ran EQUAL 0)
    message(FATAL_ERROR "${ARGN} --help exited ${ran}")
  endif()
  string(REGEX MATCHALL "--[a-z][a-z0-9-]*[a-z0-9]" options "${help}")
  list(REMOVE_DUPLICATES options)
  set(${out_var} "${options}" PARENT_SCOPE)
  set(${out_var}_text "${help}" PARENT_SCOPE)
endfunction()

set(stale "")
# Each of `options` in the rendered page; each --option of the page among `options`.
function(check_page page text options)
  foreach(option IN LISTS options)
    string(FIND "${text}" "${option}" at)
    if(at EQUAL -1)
      string(APPEND stale "\n  ${page} does not mention ${option}")
    endif()
  endforeach()
  string(REGEX MATCHALL "--[a-z][a-z0-9-]*[a-z0-9]" named "${text}")
  list(REMOVE_DUPLICATES named)
  foreach(option IN LISTS named)
    if(NOT option IN_LIST options)
      string(APPEND stale "\n  ${page} names ${option}, which no --help lists")
    endif()
  endforeach()
  set(stale "${stale}" PARENT_SCOPE)
endfunction()

set(provision "${PREFIX}/bin/provision")
render_page("${PREFIX}/share/man/man1/provision.1" page)
if(NOT page MATCHES "NAME[\n ]+provision - ")
  message(FATAL_ERROR "man -l provision.1 did not render its NAME section:\n${page}")
endif()
help_options(all_options "${provision}")
# CLI11's help lists the subcommands under "Subcommands:" (SUBCOMMANDS: in some versions), two
# spaces in, up to a blank line.
string(REGEX REPLACE ".*\n[Ss][Uu][Bb][Cc][Oo][Mm][Mm][Aa][Nn][Dd][Ss]:\n" "" subcommand_lines
       "${all_options_text}")
string(FIND "${subcommand_lines}" "\n\n" section_end)
string(SUBSTRING "${subcommand_lines}" 0 ${section_end} subcommand_lines)
string(REGEX MATCHALL "(^|\n)  [a-z][a-z-]*" subcommands "${subcommand_lines}")
list(TRANSFORM subcommands REPLACE "^\n?  " "")
list(LENGTH subcommands n)
if(n LESS 8)
  message(FATAL_ERROR "found only ${n} subcommands (${subcommands}) in provision --help:\n${all_options_text}")
endif()
foreach(command IN LISTS subcommands)
  if(NOT page MATCHES "provision ${command}[ \n]")
    string(APPEND stale "\n  provision.1 has no synopsis line 'provision ${command} ...'")
  endif()
  help_options(command_options "${provision}" ${command})
  list(APPEND all_options ${command_options})
  # A command with subcommands of its own (`state migrate`): their options too.
  string(FIND "${command_options_text}" "\nSubcommands:\n" nested_at)
  if(NOT nested_at EQUAL -1)
    string(SUBSTRING "${command_options_text}" ${nested_at} -1 nested_lines)
    string(FIND "${nested_lines}" "\n\n" nested_end)
    string(SUBSTRING "${nested_lines}" 0 ${nested_end} nested_lines)
    string(REGEX MATCHALL "\n  [a-z][a-z-]*" nested "${nested_lines}")
    list(TRANSFORM nested REPLACE "^\n  " "")
    foreach(subcommand IN LISTS nested)
      help_options(nested_options "${provision}" ${command} ${subcommand})
      list(APPEND all_options ${nested_options})
    endforeach()
  endif()
endforeach()
list(REMOVE_DUPLICATES all_options)
check_page(provision.1 "${page}" "${all_options}")

render_page("${PREFIX}/share/man/man1/docspace-emulator.1" page)
if(NOT page MATCHES "NAME[\n ]+docspace-emulator - ")
  message(FATAL_ERROR "man -l docspace-emulator.1 did not render its NAME section:\n${page}")
endif()
help_options(emulator_options "${PREFIX}/bin/docspace-emulator")
check_page(docspace-emulator.1 "${page}" "${emulator_options}")

if(stale)
  message(FATAL_ERROR "the man pages (man/*.1) disagree with the binaries' --help:${stale}")
endif()
list(LENGTH all_options n_options)
message(STATUS "man pages cover ${n} subcommands and ${n_options} options of provision, "
               "and docspace-emulator's options")
file(REMOVE_RECURSE "${PREFIX}")
