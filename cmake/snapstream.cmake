# Helpers shared by every folder of the tree.

# snapstream_warnings(<target>): the project's warning set on its own code.
function(snapstream_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  # GCC 12 reports coroutine frames freed by Asio's awaitable_frame_base
  # operator delete as mismatched (GCC bug 109224, a false positive once the
  # frame allocation is inlined at -O2).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
  # ASan's instrumentation makes GCC 12 report variant storage moved through
  # coroutine frames as maybe-uninitialized, and (at -O1) vector::resize as a
  # memset of 2^64 - n bytes (stringop-overflow, array-bounds); the plain
  # build keeps these checks, and the sanitizers catch real overflows.
  if(SNAPSTREAM_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized -Wno-stringop-overflow -Wno-array-bounds)
  endif()
  if(SNAPSTREAM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# snapstream_library(<name> DIR <dir> DEPS <targets...>)
# A static library of every .cpp under <dir> (non-recursive; a `detail/`
# subfolder is included). Include paths are rooted at the repository top, so
# code includes "protocol/common/error.hpp" and the like.
function(snapstream_library name)
  cmake_parse_arguments(ARG "" "DIR" "DEPS" ${ARGN})
  if(NOT ARG_DIR)
    set(ARG_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  file(GLOB sources CONFIGURE_DEPENDS ${ARG_DIR}/*.cpp ${ARG_DIR}/detail/*.cpp)
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  snapstream_warnings(${name})
endfunction()

# Sanitizer runtime options every test runs with (set when SNAPSTREAM_SANITIZE is on).
if(SNAPSTREAM_SANITIZE)
  set(SNAPSTREAM_SANITIZER_ENV
    "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/ubsan.supp;ASAN_OPTIONS=detect_leaks=1:abort_on_error=1")
endif()

# snapstream_test(<name> SOURCES <files...> LIBS <targets...> [LABELS <labels...>]
#                 [TIMEOUT <seconds>])
# One Boost.Test executable registered with CTest. Labels: `unit` (pure, fast,
# also run under sanitizers), `integration` (sockets, processes, databases),
# `interop` (needs Node.js peers from npm).
function(snapstream_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(test_${name} ${ARG_SOURCES})
  target_link_libraries(test_${name} PRIVATE ${ARG_LIBS} Boost::unit_test_framework)
  target_compile_definitions(test_${name} PRIVATE BOOST_TEST_DYN_LINK)
  if(NOT SNAPSTREAM_OPTIMIZE_TESTS)
    target_compile_options(test_${name} PRIVATE -O0)
  endif()
  snapstream_warnings(test_${name})
  add_test(NAME ${name} COMMAND test_${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "SNAPSTREAM_SOURCE_DIR=${PROJECT_SOURCE_DIR};SNAPSTREAM_BUILD_DIR=${PROJECT_BINARY_DIR};${SNAPSTREAM_SANITIZER_ENV}")
endfunction()

# snapstream_subdirectories(<names...>): add each subfolder that has a CMakeLists.txt.
# Lets work on one module proceed before its siblings exist.
macro(snapstream_subdirectories)
  foreach(sub ${ARGN})
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${sub}/CMakeLists.txt)
      add_subdirectory(${sub})
    endif()
  endforeach()
endmacro()
