# cmake -DBINARY_DIR=... -DSAMPLE_SOURCE=... -DAPP_SOURCE=... -DWORK_DIR=...
#       -P run_vendor_projection_test.cmake
# Installs the product, builds samples/vendor_projection against the installed package, builds a
# deployment app against it too, and runs the app with the plugin listed in its config.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "ok: ${ARGN}\n${out}")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${prefix})
# The kernel's files, to check afterwards that nothing rebuilt or replaced them.
file(GLOB kernel_files ${prefix}/lib*/libopossum.so*)
if(NOT kernel_files)
  message(FATAL_ERROR "no installed kernel library below ${prefix}")
endif()
set(kernel_before)
foreach(file ${kernel_files})
  file(SHA256 ${file} hash)
  list(APPEND kernel_before ${hash})
endforeach()

run(${CMAKE_COMMAND} -S ${SAMPLE_SOURCE} -B ${WORK_DIR}/plugin -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/plugin -j 2)
run(${CMAKE_COMMAND} --install ${WORK_DIR}/plugin --prefix ${WORK_DIR}/acme)
set(plugin_dir ${WORK_DIR}/acme/lib/acme/plugins)
if(NOT EXISTS ${plugin_dir}/libacme_loyalty.so)
  message(FATAL_ERROR "the sample did not install ${plugin_dir}/libacme_loyalty.so")
endif()

run(${CMAKE_COMMAND} -S ${APP_SOURCE} -B ${WORK_DIR}/app -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/app -j 2)
run(${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH ${WORK_DIR}/app/kernel_only_app)
# Only the installed plugin folder and the config's plugins.path are searched.
run(${CMAKE_COMMAND} -E env --unset=OPOSSUM_PLUGIN_PATH ${WORK_DIR}/app/loyalty_app
    ${WORK_DIR} ${plugin_dir})

set(kernel_after)
foreach(file ${kernel_files})
  file(SHA256 ${file} hash)
  list(APPEND kernel_after ${hash})
endforeach()
if(NOT kernel_before STREQUAL kernel_after)
  message(FATAL_ERROR "the installed kernel changed while building the vendor plugin")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
