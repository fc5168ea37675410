# The tools and samples are built like any application: they include only the public headers
# (kernel/include, sdk/include) and their own, and link no library of the kernel's or a plugin's
# internals. Fails naming each include or link that breaks this.
#   cmake -DSOURCE_DIR=<repo> -DBINARY_DIR=<build tree> -P check_public_api.cmake
cmake_minimum_required(VERSION 3.25)
set(problems "")

# Headers private to the kernel or to a plugin, by file name.
file(GLOB_RECURSE private_headers ${SOURCE_DIR}/kernel/src/*.hpp ${SOURCE_DIR}/plugins/*.hpp)
set(private_names "")
foreach(header ${private_headers})
  get_filename_component(name ${header} NAME)
  list(APPEND private_names ${name})
endforeach()

file(GLOB_RECURSE sources ${SOURCE_DIR}/tools/*.cpp ${SOURCE_DIR}/tools/*.hpp
  ${SOURCE_DIR}/samples/*.cpp ${SOURCE_DIR}/samples/*.hpp)
foreach(source ${sources})
  get_filename_component(folder ${source} DIRECTORY)
  file(STRINGS ${source} includes REGEX "^#include \"[^\"]+\"")
  foreach(line ${includes})
    string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" included "${line}")
    get_filename_component(name ${included} NAME)
    # A header of the tool's or sample's own folder (or its parent, samples/common) is its own.
    if(EXISTS ${folder}/${included} OR EXISTS ${folder}/../common/${included})
      continue()
    endif()
    if(name IN_LIST private_names AND NOT included MATCHES "^opossum/")
      file(RELATIVE_PATH where ${SOURCE_DIR} ${source})
      string(APPEND problems "  ${where} includes the private header \"${included}\"\n")
    endif()
  endforeach()
endforeach()

# What each executable of tools/ and samples/ links.
file(GLOB_RECURSE link_files ${BINARY_DIR}/tools/*/link.txt ${BINARY_DIR}/samples/*/link.txt)
if(NOT link_files)
  string(APPEND problems "  no link.txt under ${BINARY_DIR}/tools or samples (not built?)\n")
endif()
foreach(link_file ${link_files})
  file(READ ${link_file} command)
  string(REGEX MATCHALL "[^ ]*(libopossum_engine|_impl|libopossum_test_support)\\.a" private "${command}")
  if(private)
    file(RELATIVE_PATH where ${BINARY_DIR} ${link_file})
    string(APPEND problems "  ${where} links ${private}\n")
  endif()
endforeach()

if(problems)
  message(FATAL_ERROR "tools and samples must use only the public API and the SDK:\n${problems}")
endif()
list(LENGTH sources source_count)
list(LENGTH link_files link_count)
message(STATUS "${source_count} sources and ${link_count} link commands use only public parts")
