// NICSIM_ASAN: 1 when this translation unit is compiled with AddressSanitizer, else 0. GCC defines
// __SANITIZE_ADDRESS__; clang 14 does not, and answers __has_feature(address_sanitizer) instead.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define NICSIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NICSIM_ASAN 1
#endif
#endif
#ifndef NICSIM_ASAN
#define NICSIM_ASAN 0
#endif
