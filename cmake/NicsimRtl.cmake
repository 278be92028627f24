# Helpers shared by the RTL model build and block-level tests.

set(NICSIM_RTL_DIR ${CMAKE_CURRENT_LIST_DIR}/../rtl)  # also when included from fuzz/
# Verilator flags used for every model: assertions on, FST tracing compiled in
# (switched on per time window at run time), fast X handling.
set(NICSIM_VERILATOR_ARGS --assert -O3 --x-assign fast --x-initial fast -Wall
    ${NICSIM_RTL_DIR}/lint/waivers.vlt)
# The fast build (`./nicsim bench` makes it in build-fast/): the NIC models verilated without
# assertions, and everything (models, harness, driver, stack) compiled with GCC profile-guided
# optimisation: NICSIM_PGO generate, a training run, then use, in the same build directory so
# the profiles' names match the objects. Regressions keep the checked build; the bench proves
# both give identical wire bytes and counters (its `fast` section).
option(NICSIM_FAST_MODEL "Verilate the NIC models without --assert (benchmarks, long runs)" OFF)
set(NICSIM_PGO "" CACHE STRING "GCC profile-guided optimisation of the whole build: generate, use or empty")
set(NICSIM_PGO_DIR "${CMAKE_BINARY_DIR}/pgo" CACHE PATH "Where NICSIM_PGO writes and reads the .gcda profiles")
if(NICSIM_FAST_MODEL)
  list(REMOVE_ITEM NICSIM_VERILATOR_ARGS --assert)
endif()
if(NICSIM_PGO AND NOT NICSIM_PGO MATCHES "^(generate|use)$")
  message(FATAL_ERROR "NICSIM_PGO is '${NICSIM_PGO}': it takes generate, use or nothing")
endif()
if(NICSIM_PGO STREQUAL "generate")
  # plain (racy) counter updates: the training runs use NICSIM_THREADS=1
  add_compile_options(-fprofile-generate=${NICSIM_PGO_DIR})
  add_link_options(-fprofile-generate=${NICSIM_PGO_DIR})
elseif(NICSIM_PGO STREQUAL "use")
  # Functions the training never ran are optimised as without a profile (partial training).
  add_compile_options(-fprofile-use=${NICSIM_PGO_DIR} -fprofile-partial-training -Wno-missing-profile
                      -Wno-coverage-mismatch)
endif()

# Each model writes its coverage counters before it is destroyed (nicsim/rtl_coverage.h): one
# small library, a no-op unless NICSIM_COVERAGE, so no other object's flags change.
if(NOT TARGET nicsim_rtl_cov)
  add_library(nicsim_rtl_cov STATIC ${CMAKE_CURRENT_LIST_DIR}/../sim/src/rtl_coverage.cpp)
  if(NICSIM_COVERAGE)
    target_compile_definitions(nicsim_rtl_cov PRIVATE NICSIM_COVERAGE=1
                               NICSIM_COV_DEFAULT_DIR="${CMAKE_BINARY_DIR}/cov")
  endif()
  target_include_directories(nicsim_rtl_cov PUBLIC ${CMAKE_CURRENT_LIST_DIR}/../sim/include
                             ${VERILATOR_ROOT}/include ${VERILATOR_ROOT}/include/vltstd)
endif()

# Verilator's runtime (verilated.cpp, its thread pool, the FST writer, the coverage table),
# compiled once for every model of the build instead of once per model (each verilate() call
# adds it to its own target: 15 copies, minutes of an uncached build). Its compile definitions
# are those of a traced model; in 5.006 they change nothing in these files but a macro
# (WAVES) of verilated.h.
if(NOT TARGET nicsim_verilated_rt)
  set(_vl_rt ${VERILATOR_ROOT}/include/verilated.cpp ${VERILATOR_ROOT}/include/verilated_threads.cpp
      ${VERILATOR_ROOT}/include/verilated_fst_c.cpp)
  if(NICSIM_COVERAGE)
    list(APPEND _vl_rt ${VERILATOR_ROOT}/include/verilated_cov.cpp)
  endif()
  add_library(nicsim_verilated_rt STATIC ${_vl_rt})
  target_include_directories(nicsim_verilated_rt PUBLIC ${VERILATOR_ROOT}/include
                             ${VERILATOR_ROOT}/include/vltstd)
  target_compile_definitions(nicsim_verilated_rt PRIVATE VM_SC=0 VM_TRACE=1 VM_TRACE_VCD=0
                             VM_TRACE_FST=1 VM_COVERAGE=$<BOOL:${NICSIM_COVERAGE}>)
  target_compile_options(nicsim_verilated_rt PRIVATE -w -O2)
  if(NICSIM_SANITIZE)
    # Verilator's code, like the models below (and its bundled FST writer has undefined
    # behaviour: misaligned stores, shifts of negative values)
    target_compile_options(nicsim_verilated_rt PRIVATE -fno-sanitize=address,undefined)
  endif()
  find_package(Threads REQUIRED)
  find_package(ZLIB REQUIRED)
  target_link_libraries(nicsim_verilated_rt PUBLIC Threads::Threads ZLIB::ZLIB)
endif()

# nicsim_verilate(TARGET <lib> TOP <module> SOURCES <sv...> [TRACE] [UNITY])
# Verilates <module> into the static library <lib> (prefix V<module>); UNITY: one translation unit.
function(nicsim_verilate)
  cmake_parse_arguments(A "TRACE;UNITY" "TARGET;TOP" "SOURCES" ${ARGN})
  add_library(${A_TARGET} STATIC)
  set(trace_args)
  set(trace_flags)
  if(A_TRACE)
    set(trace_args TRACE_FST)
    # Packed structs (descriptors, queue entries) dumped field by field: desc_in.addr, .len, ...
    # instead of one flat vector, so the .gtkw presets (waves/presets) can show the fields.
    set(trace_flags --trace-structs)
  endif()
  set(opt_args OPT_FAST -O2 OPT_SLOW -O1 OPT_GLOBAL -O2)
  if(A_UNITY)
    set(opt_args)
  endif()
  if(NICSIM_COVERAGE)
    list(APPEND trace_args COVERAGE)  # --coverage: line (blocks, branches), toggle and user (cover property)
  endif()
  verilate(${A_TARGET} ${trace_args}
    TOP_MODULE ${A_TOP} PREFIX V${A_TOP}
    SOURCES ${NICSIM_GEN_DIR}/nic_reg_pkg.sv ${NICSIM_GEN_DIR}/nic_reg_top.sv ${A_SOURCES}
    INCLUDE_DIRS ${NICSIM_RTL_DIR}
    VERILATOR_ARGS ${NICSIM_VERILATOR_ARGS} ${trace_flags}
    ${opt_args})
  if(A_UNITY)
    # One translation unit for the whole model, as Verilator's own Makefile builds it without
    # parallel builds (its __ALL.cpp includes every generated file). CMake leaves out of a unity
    # source any file with per-source flags, so the optimisation level is the directory's
    # (tests/: -O1). Measured on the 16 block models: 315 s of compile time became 50 s, and the
    # rtl label's test time went from 14 to 29 s (-O1 instead of -O2 for the evaluation code).
    set_target_properties(${A_TARGET} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 0)
  endif()
  # the runtime comes from nicsim_verilated_rt (above), not from a copy in every model
  get_target_property(_srcs ${A_TARGET} SOURCES)
  list(FILTER _srcs EXCLUDE REGEX "^${VERILATOR_ROOT}/include/")
  set_property(TARGET ${A_TARGET} PROPERTY SOURCES ${_srcs})
  target_compile_options(${A_TARGET} PRIVATE -w)
  if(NICSIM_SANITIZE)
    # The generated model is not instrumented in the sanitizer build: Verilator masks every
    # array index and writes only the model's own members, so ASan/UBSan have nothing to find
    # there, and instrumenting it doubled the sanitizer run's build and test time. The harness,
    # the driver, the stack and the tests around it stay instrumented.
    target_compile_options(${A_TARGET} PRIVATE -fno-sanitize=address,undefined)
  endif()
  target_link_libraries(${A_TARGET} PUBLIC nicsim_rtl_cov nicsim_verilated_rt)
  add_dependencies(${A_TARGET} nic_regs_gen)
endfunction()

# nicsim_block_test(NAME <test> TOP <module> RTL <sv...> SOURCES <cpp...> [LABELS ...])
# A GoogleTest binary driving one RTL block in a plain C++ loop; each TEST() becomes a ctest entry.
function(nicsim_block_test)
  cmake_parse_arguments(A "" "NAME;TOP" "RTL;SOURCES;LABELS" ${ARGN})
  # A block model is one translation unit (each of its 7-12 generated files parsed verilated.h
  # again); the NIC's model keeps one object per file, so both cores share it.
  nicsim_verilate(TARGET ${A_NAME}_model TOP ${A_TOP} SOURCES ${A_RTL} UNITY)
  add_executable(${A_NAME} ${A_SOURCES})
  target_link_libraries(${A_NAME} PRIVATE ${A_NAME}_model nic_regs GTest::gtest GTest::gtest_main ZLIB::ZLIB)
  target_include_directories(${A_NAME} PRIVATE ${CMAKE_SOURCE_DIR}/tests/common)
  if(NOT A_LABELS)
    set(A_LABELS rtl)
  endif()
  gtest_discover_tests(${A_NAME} PROPERTIES LABELS "${A_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
