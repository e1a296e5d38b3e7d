// STUB for edgedigits' compile check of generated MCU sources; NOT TensorFlow Lite Micro's header (see
// tests/tflm_stubs/README.md). The MicroInterpreter members the generated code calls, with TFLM's signatures.
#ifndef EDGEDIGITS_STUB_TENSORFLOW_LITE_MICRO_MICRO_INTERPRETER_H_
#define EDGEDIGITS_STUB_TENSORFLOW_LITE_MICRO_MICRO_INTERPRETER_H_

#include <cstddef>
#include <cstdint>

#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/micro_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

#define TFLITE_SCHEMA_VERSION (3)

namespace tflite {

class MicroResourceVariables;
class MicroProfilerInterface;

class MicroInterpreter {
 public:
  MicroInterpreter(const Model* model, const MicroOpResolver& op_resolver, uint8_t* tensor_arena,
                   size_t tensor_arena_size, MicroResourceVariables* resource_variables = nullptr,
                   MicroProfilerInterface* profiler = nullptr, bool preserve_all_tensors = false);
  ~MicroInterpreter();

  TfLiteStatus AllocateTensors();
  TfLiteStatus Invoke();
  TfLiteTensor* input(size_t index);
  TfLiteTensor* output(size_t index);
  size_t arena_used_bytes() const;  // TFLM: inline, allocator_.used_bytes()
};

}  // namespace tflite

#endif  // EDGEDIGITS_STUB_TENSORFLOW_LITE_MICRO_MICRO_INTERPRETER_H_
