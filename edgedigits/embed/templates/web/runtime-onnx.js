// ONNX Runtime Web behind the page's one interface: loadClassifier(config) -> {description, run(pixels)},
// where run takes the model's float32 input (row-major) and resolves to its float32 output.
// The .onnx runs on the WebAssembly execution provider, one thread (no cross-origin isolation needed).
import * as ort from './vendor/onnxruntime-web/ort.wasm.min.mjs';

export async function loadClassifier(config) {
  ort.env.wasm.wasmPaths = new URL('./vendor/onnxruntime-web/', import.meta.url).href;
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(new URL(config.file, document.baseURI).href,
    { executionProviders: ['wasm'] });
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  const shape = config.input.shape;
  return {
    description: `${config.runtime.title} ${config.runtime.version}, WebAssembly, 1 thread`,
    async run(pixels) {
      const results = await session.run({ [inputName]: new ort.Tensor('float32', pixels, shape) });
      return Float32Array.from(results[outputName].data);
    },
  };
}
