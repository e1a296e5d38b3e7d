// Drives a generated bundle's API linked with fake_tflm.cc (tests only): prints what happened, one key=value
// per field, for tests/test_embed_mcu.py to assert on.
#include <cstdio>

#include "edgedigits_model.h"
#include "golden_test.h"

extern int fake_resolver_adds, fake_duplicate_adds, fake_interpreters_constructed, fake_allocate_calls,
    fake_invokes;

int main() {
  const int first = edgedigits_model_init();
  const int second = edgedigits_model_init();
  edgedigits_input_t input[EDGEDIGITS_INPUT_SIZE] = {};
  for (int i = 0; i < EDGEDIGITS_INPUT_SIZE; ++i) input[i] = static_cast<edgedigits_input_t>(i % 7 - 3);
  edgedigits_output_t output[EDGEDIGITS_OUTPUT_SIZE] = {};
  const int classified = edgedigits_classify(input, output);
  int copied = 1;
  for (int k = 0; k < EDGEDIGITS_OUTPUT_SIZE; ++k) {
    if (output[k] != input[k]) copied = 0;
  }
  // The input written straight into the model's tensor (edgedigits_input_buffer) and classified in place.
  edgedigits_input_t* buffer = edgedigits_input_buffer();
  int in_place = buffer != nullptr ? 1 : 0;
  if (buffer != nullptr) {
    for (int i = 0; i < EDGEDIGITS_INPUT_SIZE; ++i) buffer[i] = static_cast<edgedigits_input_t>(2 - i % 5);
    edgedigits_output_t again[EDGEDIGITS_OUTPUT_SIZE] = {};
    if (edgedigits_classify(buffer, again) != kTfLiteOk) in_place = 0;
    for (int k = 0; k < EDGEDIGITS_OUTPUT_SIZE; ++k) {
      if (again[k] != static_cast<edgedigits_output_t>(2 - k % 5)) in_place = 0;
    }
  }
  const int invokes_before_golden = fake_invokes;
  const int golden = edgedigits_golden_test();
  std::printf("first=%d second=%d classify=%d copied=%d argmax=%d adds=%d duplicates=%d interpreters=%d "
              "allocations=%d golden=%d golden_invokes=%d used=%u input_zero_point=%d in_place=%d\n",
              first, second, classified, copied, edgedigits_argmax(output), fake_resolver_adds, fake_duplicate_adds,
              fake_interpreters_constructed, fake_allocate_calls, golden, fake_invokes - invokes_before_golden,
              static_cast<unsigned>(edgedigits_arena_used_bytes()),
              static_cast<int>(edgedigits_input_quantization().zero_point), in_place);
  return 0;
}
