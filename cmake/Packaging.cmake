# The CMake package: find_package(opossum CONFIG) gives opossum::opossum and opossum::sdk.
include(CMakePackageConfigHelpers)
set(OPOSSUM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/opossum)
install(EXPORT opossumTargets NAMESPACE opossum:: DESTINATION ${OPOSSUM_CMAKE_DIR})
install(EXPORT opossumConformanceTargets NAMESPACE opossum:: DESTINATION ${OPOSSUM_CMAKE_DIR})
configure_package_config_file(cmake/opossumConfig.cmake.in
  ${PROJECT_BINARY_DIR}/opossumConfig.cmake
  INSTALL_DESTINATION ${OPOSSUM_CMAKE_DIR}
  PATH_VARS OPOSSUM_PLUGIN_INSTALL_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/opossumConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/opossumConfig.cmake
  ${PROJECT_BINARY_DIR}/opossumConfigVersion.cmake cmake/OpossumPlugin.cmake
  DESTINATION ${OPOSSUM_CMAKE_DIR})
