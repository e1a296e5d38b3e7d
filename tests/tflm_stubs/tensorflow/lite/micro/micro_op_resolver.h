// STUB for edgedigits' compile check of generated MCU sources; NOT TensorFlow Lite Micro's header (see
// tests/tflm_stubs/README.md). The base class MicroInterpreter takes a resolver as (lookup methods omitted).
#ifndef EDGEDIGITS_STUB_TENSORFLOW_LITE_MICRO_MICRO_OP_RESOLVER_H_
#define EDGEDIGITS_STUB_TENSORFLOW_LITE_MICRO_MICRO_OP_RESOLVER_H_

namespace tflite {

class MicroOpResolver {
 public:
  virtual ~MicroOpResolver() {}
};

}  // namespace tflite

#endif  // EDGEDIGITS_STUB_TENSORFLOW_LITE_MICRO_MICRO_OP_RESOLVER_H_
