# kith_library(NAME name SRCS ... DEPS ...): a static library kith_<name>.
# DEPS are the layering rule written down: a module links only what it may use.
function(kith_library)
  cmake_parse_arguments(K "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(kith_${K_NAME} STATIC ${K_SRCS})
  target_include_directories(kith_${K_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(kith_${K_NAME} PUBLIC ${K_DEPS})
endfunction()

# kith_test(NAME name SRCS ... DEPS ...): a GoogleTest binary registered with CTest.
function(kith_test)
  if(NOT KITH_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(K "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${K_NAME} ${K_SRCS})
  target_link_libraries(${K_NAME} PRIVATE ${K_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${K_NAME} DISCOVERY_TIMEOUT 60)
endfunction()

include(GoogleTest)
