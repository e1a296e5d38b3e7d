// STUB for edgedigits' compile check of generated MCU sources; NOT TensorFlow Lite Micro's header (see
// tests/tflm_stubs/README.md). TFLM's tensorflow/lite/micro/micro_log.h: MicroPrintf, or, with
// TF_LITE_STRIP_ERROR_STRINGS (BUILD_TYPE=release), a macro that discards its arguments.
#ifndef EDGEDIGITS_STUB_TENSORFLOW_LITE_MICRO_MICRO_LOG_H_
#define EDGEDIGITS_STUB_TENSORFLOW_LITE_MICRO_MICRO_LOG_H_

#if !defined(TF_LITE_STRIP_ERROR_STRINGS)
#include <cstdarg>
#include <cstddef>
// Stricter than TFLM: the format attribute makes g++ check every format string against its arguments.
void MicroPrintf(const char* format, ...) __attribute__((format(printf, 1, 2)));
void VMicroPrintf(const char* format, va_list args);
#else
#define MicroPrintf(...) tflite::Unused(__VA_ARGS__)
#endif

namespace tflite {
template <typename... Args>
void Unused(Args&&... args) {
  (void)(sizeof...(args));
}
}  // namespace tflite

#endif  // EDGEDIGITS_STUB_TENSORFLOW_LITE_MICRO_MICRO_LOG_H_
