// STUB for edgedigits' compile check of generated MCU sources; NOT TensorFlow Lite Micro's header (see
// tests/tflm_stubs/README.md). MicroMutableOpResolver<tOpCount> with the Add* methods the mcu bundle can emit
// (edgedigits.embed.mcu.TFLM_RESOLVER), declared as in TFLM: a registration argument defaulting to TFLM's kernel.
#ifndef EDGEDIGITS_STUB_TENSORFLOW_LITE_MICRO_MICRO_MUTABLE_OP_RESOLVER_H_
#define EDGEDIGITS_STUB_TENSORFLOW_LITE_MICRO_MICRO_MUTABLE_OP_RESOLVER_H_

#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/micro_op_resolver.h"

namespace tflite {

struct TFLMRegistration {
  void* (*init)(void* context, const char* buffer, size_t length);
  void (*free)(void* context, void* buffer);
  TfLiteStatus (*prepare)(void* context, void* node);
  TfLiteStatus (*invoke)(void* context, void* node);
  void (*reset)(void* context, void* buffer);
  int32_t builtin_code;
  const char* custom_name;
};  // TFLM passes TfLiteContext* / TfLiteNode*; the members are never touched here

TFLMRegistration Register_CONV_2D();
TFLMRegistration Register_DEPTHWISE_CONV_2D();
TFLMRegistration Register_FULLY_CONNECTED();
TFLMRegistration Register_MAX_POOL_2D();
TFLMRegistration Register_AVERAGE_POOL_2D();
TFLMRegistration Register_SOFTMAX();
TFLMRegistration Register_RESHAPE();
TFLMRegistration Register_SHAPE();
TFLMRegistration Register_STRIDED_SLICE();
TFLMRegistration Register_PACK();
TFLMRegistration Register_QUANTIZE();
TFLMRegistration Register_DEQUANTIZE();
TFLMRegistration Register_ADD();
TFLMRegistration Register_MUL();
TFLMRegistration Register_RELU();
TFLMRegistration Register_RELU6();
TFLMRegistration Register_LOGISTIC();
TFLMRegistration Register_MEAN();
TFLMRegistration Register_CONCATENATION();
TFLMRegistration Register_PAD();
TFLMRegistration Register_TRANSPOSE();

template <unsigned int tOpCount>
class MicroMutableOpResolver : public MicroOpResolver {
 public:
  explicit MicroMutableOpResolver() {}

  TfLiteStatus AddConv2D(const TFLMRegistration& registration = Register_CONV_2D());
  TfLiteStatus AddDepthwiseConv2D(const TFLMRegistration& registration = Register_DEPTHWISE_CONV_2D());
  TfLiteStatus AddFullyConnected(const TFLMRegistration& registration = Register_FULLY_CONNECTED());
  TfLiteStatus AddMaxPool2D(const TFLMRegistration& registration = Register_MAX_POOL_2D());
  TfLiteStatus AddAveragePool2D(const TFLMRegistration& registration = Register_AVERAGE_POOL_2D());
  TfLiteStatus AddSoftmax(const TFLMRegistration& registration = Register_SOFTMAX());
  TfLiteStatus AddReshape(const TFLMRegistration& registration = Register_RESHAPE());
  TfLiteStatus AddShape(const TFLMRegistration& registration = Register_SHAPE());
  TfLiteStatus AddStridedSlice(const TFLMRegistration& registration = Register_STRIDED_SLICE());
  TfLiteStatus AddPack(const TFLMRegistration& registration = Register_PACK());
  TfLiteStatus AddQuantize(const TFLMRegistration& registration = Register_QUANTIZE());
  TfLiteStatus AddDequantize(const TFLMRegistration& registration = Register_DEQUANTIZE());
  TfLiteStatus AddAdd(const TFLMRegistration& registration = Register_ADD());
  TfLiteStatus AddMul(const TFLMRegistration& registration = Register_MUL());
  TfLiteStatus AddRelu(const TFLMRegistration& registration = Register_RELU());
  TfLiteStatus AddRelu6(const TFLMRegistration& registration = Register_RELU6());
  TfLiteStatus AddLogistic(const TFLMRegistration& registration = Register_LOGISTIC());
  TfLiteStatus AddMean(const TFLMRegistration& registration = Register_MEAN());
  TfLiteStatus AddConcatenation(const TFLMRegistration& registration = Register_CONCATENATION());
  TfLiteStatus AddPad(const TFLMRegistration& registration = Register_PAD());
  TfLiteStatus AddTranspose(const TFLMRegistration& registration = Register_TRANSPOSE());

  unsigned int GetRegistrationLength();
};

}  // namespace tflite

#endif  // EDGEDIGITS_STUB_TENSORFLOW_LITE_MICRO_MICRO_MUTABLE_OP_RESOLVER_H_
