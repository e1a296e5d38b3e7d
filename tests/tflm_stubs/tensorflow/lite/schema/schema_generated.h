// STUB for edgedigits' compile check of generated MCU sources; NOT TensorFlow Lite's flatbuffer schema header
// (see tests/tflm_stubs/README.md). Only the root accessor the generated code uses: GetModel and Model::version.
#ifndef EDGEDIGITS_STUB_TENSORFLOW_LITE_SCHEMA_SCHEMA_GENERATED_H_
#define EDGEDIGITS_STUB_TENSORFLOW_LITE_SCHEMA_SCHEMA_GENERATED_H_

#include <cstdint>

namespace tflite {

struct Model {
  uint32_t version() const;  // the schema version the file was written with (other accessors omitted)
};

const Model* GetModel(const void* buf);  // TFLM: an inline flatbuffers::GetRoot<Model>(buf)

}  // namespace tflite

#endif  // EDGEDIGITS_STUB_TENSORFLOW_LITE_SCHEMA_SCHEMA_GENERATED_H_
