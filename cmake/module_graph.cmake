# The module graph: which modules each module of src/ may use. README's "Architecture" section
# draws the same graph. Two checks hold the code to it:
#   - provision_check_module_links(), at configure time: a module's target links no other
#     provision module than these, and every third-party library PRIVATE (no public header
#     includes one, so no user of a module needs it);
#   - tests/module_graph_check.cmake (the CTest `module_graph`): no source or header of a module
#     includes a header of a module it may not use.
# `keys` is the header-only value types of the DocSpace keys API (include/provision/api/types.hpp),
# kept apart from the `api` client so that the pure planner does not depend on libcurl.
set(PROVISION_MODULES core manifest state keys output api plan audit apply cli)
set(PROVISION_USES_core "")
set(PROVISION_USES_manifest core)
set(PROVISION_USES_state core)
set(PROVISION_USES_keys core)
set(PROVISION_USES_output manifest core)
set(PROVISION_USES_api keys core)
set(PROVISION_USES_plan manifest state keys core)
set(PROVISION_USES_audit manifest state keys core)
set(PROVISION_USES_apply plan output api manifest state keys core)
# cli builds the HTTP client (api) and hands it to apply; it reaches output only through apply.
set(PROVISION_USES_cli apply audit plan api manifest state keys core)

function(provision_check_module_links)
  foreach(module IN LISTS PROVISION_MODULES)
    if(NOT TARGET provision_${module})
      continue()
    endif()
    get_target_property(links provision_${module} INTERFACE_LINK_LIBRARIES)
    get_target_property(private provision_${module} LINK_LIBRARIES)
    if(NOT links)
      set(links "")
    endif()
    if(NOT private)
      set(private "")
    endif()
    foreach(link IN LISTS links)
      # A static library's PRIVATE links reach its users as $<LINK_ONLY:...>: for linking only.
      if(NOT link MATCHES "^provision_" AND NOT link MATCHES "^\\$<LINK_ONLY:")
        message(FATAL_ERROR "module ${module} links ${link} PUBLIC or INTERFACE; link third-party "
                            "libraries PRIVATE (cmake/module_graph.cmake, README Architecture)")
      endif()
    endforeach()
    foreach(link IN LISTS links private)
      if(link MATCHES "^provision_(.+)$")
        set(used ${CMAKE_MATCH_1})
        if(NOT used IN_LIST PROVISION_USES_${module})
          message(FATAL_ERROR "module ${module} links provision_${used}, which the module graph "
                              "(cmake/module_graph.cmake, README Architecture) does not allow")
        endif()
      endif()
    endforeach()
  endforeach()
endfunction()
