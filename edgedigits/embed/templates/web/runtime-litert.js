// LiteRT.js behind the page's one interface: loadClassifier(config) -> {description, run(pixels)}, where
// run takes the model's float32 input (row-major) and resolves to its float32 output.
// The .tflite runs on LiteRT.js's WebAssembly CPU path (XNNPACK kernels, one thread). LiteRT.js needs a
// static input shape and float32 (not int8) input/output tensors: `edgedigits embed` checked both.
import { loadLiteRt, loadAndCompile, Tensor } from './vendor/litertjs/core/index.js';

export async function loadClassifier(config) {
  // A folder URL: LiteRT.js picks litert_wasm_internal (relaxed SIMD) or litert_wasm_compat_internal itself.
  await loadLiteRt(new URL('./vendor/litertjs/core/wasm/', import.meta.url).href);
  const model = await loadAndCompile(new URL(config.file, document.baseURI).href, { accelerator: 'wasm' });
  const shape = config.input.shape;
  return {
    description: `${config.runtime.title} ${config.runtime.version}, WebAssembly (XNNPACK), 1 thread`,
    async run(pixels) {
      const input = new Tensor(pixels, shape);
      let outputs = [];
      try {
        outputs = await model.run(input);
        return Float32Array.from(outputs[0].toTypedArray());
      } finally {
        // LiteRT.js tensors live in WebAssembly memory until deleted.
        input.delete();
        for (const output of outputs) output.delete();
      }
    },
  };
}
