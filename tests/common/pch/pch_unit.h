// Precompiled for every GoogleTest binary that does not link the simulator (tests/CMakeLists.txt):
// GoogleTest, the standard headers the tests use most, and the stack's and kernel's public
// headers. Parsing these took about 5.5 s of each test file's 8 s front end (test_arp.cc, GCC 12).
// Only headers without side effects belong here: a test file that needs one still includes it.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nicsim/kern/kernel.h"
#include "nicsim/net/stack.h"
