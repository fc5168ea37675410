# opossum_add_plugin(<target> SOURCES <files...> [LIBRARIES <libs...>])
#
# Builds an Opossum plugin: a shared module linked against opossum::sdk, with hidden symbols
# (only the entry point is exported) and no undefined symbols. In this source tree the module
# lands in the build tree's plugin folder and is installed with the product; out of tree (after
# find_package(opossum CONFIG)) it is built where CMake puts modules and installed to
# OPOSSUM_PLUGIN_DESTINATION when that is set.
function(opossum_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  if(TARGET opossum_sdk)
    target_link_libraries(${target} PRIVATE opossum_sdk ${ARG_LIBRARIES})
  else()
    target_link_libraries(${target} PRIVATE opossum::sdk ${ARG_LIBRARIES})
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  if(DEFINED OPOSSUM_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${OPOSSUM_PLUGIN_OUTPUT_DIR})
  endif()
  if(DEFINED OPOSSUM_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION ${OPOSSUM_PLUGIN_INSTALL_DIR})
  elseif(DEFINED OPOSSUM_PLUGIN_DESTINATION)
    install(TARGETS ${target} LIBRARY DESTINATION ${OPOSSUM_PLUGIN_DESTINATION})
  endif()
endfunction()
