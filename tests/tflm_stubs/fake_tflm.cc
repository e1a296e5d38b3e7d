// FAKE TensorFlow Lite Micro, for tests only: links with a generated edgedigits_model.cc so its control flow
// (init once, one interpreter, classify through it) runs on this machine. No kernels, no model parsing. It fails
// the way TFLM does where that matters: an op added twice ("Calling AddBuiltin with the same op more than once")
// and an arena smaller than FAKE_ARENA_NEEDED (AllocateTensors fails). Build with the bundle's folder on the
// include path and -DFAKE_IO_INT8=1 (int8 I/O) or 0 (float32 I/O).
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "model_settings.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_log.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

#ifndef FAKE_ARENA_NEEDED
#define FAKE_ARENA_NEEDED 0
#endif

int fake_resolver_adds = 0;
int fake_duplicate_adds = 0;
int fake_interpreters_constructed = 0;
int fake_allocate_calls = 0;
int fake_invokes = 0;

void MicroPrintf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
}

namespace {

const char* registered[64];
unsigned registered_count = 0;
alignas(16) unsigned char input_data[EDGEDIGITS_INPUT_SIZE * 4];
alignas(16) unsigned char output_data[EDGEDIGITS_OUTPUT_SIZE * 4];
TfLiteTensor input_tensor;
TfLiteTensor output_tensor;
size_t arena_given = 0;

TfLiteStatus FakeAdd(unsigned capacity, const char* op) {
  for (unsigned i = 0; i < registered_count; ++i) {
    if (std::strcmp(registered[i], op) == 0) {
      MicroPrintf("Calling AddBuiltin with the same op more than once is not supported (Op: %s).", op);
      ++fake_duplicate_adds;
      return kTfLiteError;
    }
  }
  if (registered_count >= capacity) {
    MicroPrintf("Couldn't register builtin op %s, resolver size is too small (%u).", op, capacity);
    return kTfLiteError;
  }
  registered[registered_count++] = op;
  ++fake_resolver_adds;
  return kTfLiteOk;
}

void SetUp(TfLiteTensor* tensor, unsigned char* data, int elements, float scale, int zero_point) {
  std::memset(tensor, 0, sizeof(*tensor));
  tensor->data.data = data;
#if FAKE_IO_INT8
  tensor->type = kTfLiteInt8;
  tensor->bytes = static_cast<size_t>(elements);
  tensor->params.scale = scale;
  tensor->params.zero_point = zero_point;
#else
  (void)scale;
  (void)zero_point;
  tensor->type = kTfLiteFloat32;
  tensor->bytes = static_cast<size_t>(elements) * sizeof(float);
#endif
}

}  // namespace

namespace tflite {

uint32_t Model::version() const { return TFLITE_SCHEMA_VERSION; }
const Model* GetModel(const void* buf) { return static_cast<const Model*>(buf); }

#define FAKE_REGISTRATION(code) \
  TFLMRegistration Register_##code() { return TFLMRegistration(); }
FAKE_REGISTRATION(CONV_2D)
FAKE_REGISTRATION(DEPTHWISE_CONV_2D)
FAKE_REGISTRATION(FULLY_CONNECTED)
FAKE_REGISTRATION(MAX_POOL_2D)
FAKE_REGISTRATION(AVERAGE_POOL_2D)
FAKE_REGISTRATION(SOFTMAX)
FAKE_REGISTRATION(RESHAPE)
FAKE_REGISTRATION(SHAPE)
FAKE_REGISTRATION(STRIDED_SLICE)
FAKE_REGISTRATION(PACK)
FAKE_REGISTRATION(QUANTIZE)
FAKE_REGISTRATION(DEQUANTIZE)
FAKE_REGISTRATION(ADD)
FAKE_REGISTRATION(MUL)
FAKE_REGISTRATION(RELU)
FAKE_REGISTRATION(RELU6)
FAKE_REGISTRATION(LOGISTIC)
FAKE_REGISTRATION(MEAN)
FAKE_REGISTRATION(CONCATENATION)
FAKE_REGISTRATION(PAD)
FAKE_REGISTRATION(TRANSPOSE)

#define FAKE_ADD(method, code)                                                         \
  template <unsigned int tOpCount>                                                     \
  TfLiteStatus MicroMutableOpResolver<tOpCount>::method(const TFLMRegistration&) {     \
    return FakeAdd(tOpCount, #code);                                                   \
  }
FAKE_ADD(AddConv2D, CONV_2D)
FAKE_ADD(AddDepthwiseConv2D, DEPTHWISE_CONV_2D)
FAKE_ADD(AddFullyConnected, FULLY_CONNECTED)
FAKE_ADD(AddMaxPool2D, MAX_POOL_2D)
FAKE_ADD(AddAveragePool2D, AVERAGE_POOL_2D)
FAKE_ADD(AddSoftmax, SOFTMAX)
FAKE_ADD(AddReshape, RESHAPE)
FAKE_ADD(AddShape, SHAPE)
FAKE_ADD(AddStridedSlice, STRIDED_SLICE)
FAKE_ADD(AddPack, PACK)
FAKE_ADD(AddQuantize, QUANTIZE)
FAKE_ADD(AddDequantize, DEQUANTIZE)
FAKE_ADD(AddAdd, ADD)
FAKE_ADD(AddMul, MUL)
FAKE_ADD(AddRelu, RELU)
FAKE_ADD(AddRelu6, RELU6)
FAKE_ADD(AddLogistic, LOGISTIC)
FAKE_ADD(AddMean, MEAN)
FAKE_ADD(AddConcatenation, CONCATENATION)
FAKE_ADD(AddPad, PAD)
FAKE_ADD(AddTranspose, TRANSPOSE)

template <unsigned int tOpCount>
unsigned int MicroMutableOpResolver<tOpCount>::GetRegistrationLength() {
  return registered_count;
}

template class MicroMutableOpResolver<EDGEDIGITS_OP_COUNT>;

MicroInterpreter::MicroInterpreter(const Model*, const MicroOpResolver&, uint8_t*, size_t tensor_arena_size,
                                   MicroResourceVariables*, MicroProfilerInterface*, bool) {
  ++fake_interpreters_constructed;
  arena_given = tensor_arena_size;
}

MicroInterpreter::~MicroInterpreter() {}

TfLiteStatus MicroInterpreter::AllocateTensors() {
  ++fake_allocate_calls;
  if (arena_given < FAKE_ARENA_NEEDED) {
    MicroPrintf("Failed to resize buffer. Requested: %d, available %d", FAKE_ARENA_NEEDED, static_cast<int>(arena_given));
    return kTfLiteError;
  }
#if FAKE_IO_INT8
  SetUp(&input_tensor, input_data, EDGEDIGITS_INPUT_SIZE, EDGEDIGITS_INPUT_SCALE, EDGEDIGITS_INPUT_ZERO_POINT);
  SetUp(&output_tensor, output_data, EDGEDIGITS_OUTPUT_SIZE, EDGEDIGITS_OUTPUT_SCALE, EDGEDIGITS_OUTPUT_ZERO_POINT);
#else
  SetUp(&input_tensor, input_data, EDGEDIGITS_INPUT_SIZE, 0.0f, 0);
  SetUp(&output_tensor, output_data, EDGEDIGITS_OUTPUT_SIZE, 0.0f, 0);
#endif
  return kTfLiteOk;
}

TfLiteStatus MicroInterpreter::Invoke() {
  ++fake_invokes;
  // Not a model: output[k] = input[k], so a test can see that classify copied both ways.
  std::memcpy(output_data, input_data, output_tensor.bytes);
  return kTfLiteOk;
}

TfLiteTensor* MicroInterpreter::input(size_t) { return &input_tensor; }
TfLiteTensor* MicroInterpreter::output(size_t) { return &output_tensor; }
size_t MicroInterpreter::arena_used_bytes() const { return 4242; }

}  // namespace tflite
