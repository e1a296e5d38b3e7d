// The page: prove the model answers like `edgedigits bench` (golden vectors), then classify drawn or
// uploaded images through the model's recipe (mnist.js for digit models, pixels.js: the pixel mapping of an
// image already at the model's size, for others) and report the latency. Everything it knows comes from
// model.json.
//
// Contract (tests and users rely on it), all on document.body.dataset:
//   selftest        "pass" | "fail" once the self-test ran (selftestReason: why it failed; also shown)
//   selftestMaxAbs  the largest |output - recorded output| seen over the golden inputs
//   prediction      top label of the last classified image; probabilities: JSON array of every class
//                   (softmax of the outputs for a logits model; the self-test compares raw outputs)
//   error           message of the last image that could not be classified (also shown)
//   latencyMs       median latency of one inference (ms), measured after the self-test
// index.html?image=URL classifies that same-origin image on load; ?rounds=N sets the latency rounds.

const body = document.body;
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let classifier = null;  // set once the model is loaded
let config = null;
let recipe = null;  // the preprocessing module named by model.json (preprocess.module)
let lane = Promise.resolve();  // one model call at a time: a drawing made during the latency runs waits its turn

/** Run `task` after every task queued before it; its result (or error) is the caller's. */
function exclusive(task) {
  const result = lane.then(task);
  lane = result.catch(() => {});
  return result;
}

function report(id, state, text) {
  const element = $(id);
  element.className = `status ${state}`;
  element.textContent = text;
}

function showError(message) {
  body.dataset.error = message;
  $('message').textContent = message;
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

/** Little-endian float32 file -> Float32Array of exactly `count` values. */
async function fetchFloats(url, count) {
  const buffer = await (await fetchOk(url)).arrayBuffer();
  if (buffer.byteLength !== count * 4) throw new Error(`${url}: ${buffer.byteLength} bytes, expected ${count * 4}`);
  const view = new DataView(buffer);
  return Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
}

const product = (shape) => shape.reduce((a, b) => a * b, 1);
const argmax = (values) => values.reduce((best, v, i) => (v > values[best] ? i : best), 0);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Every golden input through the model, compared with the recorded output under the manifest's tolerance. */
async function goldenSelfTest() {
  const golden = config.golden;
  const inputSize = product(config.input.shape), outputSize = product(config.output.shape);
  const inputs = await fetchFloats(golden.inputs, golden.count * inputSize);
  const outputs = await fetchFloats(golden.outputs, golden.count * outputSize);
  const tolerance = golden.tolerance.max_abs;
  let worst = 0;
  for (let i = 0; i < golden.count; i++) {
    const got = await classifier.run(inputs.slice(i * inputSize, (i + 1) * inputSize));
    const want = outputs.subarray(i * outputSize, (i + 1) * outputSize);
    if (got.length !== outputSize) return { ok: false, reason: `golden input ${i}: ${got.length} outputs, expected ${outputSize}` };
    if (argmax(got) !== golden.expected_class[i]) {
      return { ok: false, reason: `golden input ${i}: class ${argmax(got)}, recorded ${golden.expected_class[i]}` };
    }
    for (let k = 0; k < outputSize; k++) {
      const difference = Math.abs(got[k] - want[k]);
      if (!(difference <= tolerance)) {  // also catches NaN
        return { ok: false, worst: difference, reason: `golden input ${i}, output ${k}: ${got[k]} vs recorded ${want[k]} `
          + `(|Δ| ${difference.toExponential(2)} > tolerance ${tolerance})` };
      }
      worst = Math.max(worst, difference);
    }
  }
  return { ok: true, worst, text: `${golden.count}/${golden.count} golden inputs match (max |Δ| ${worst.toExponential(1)}, `
    + `tolerance ${tolerance}, ${golden.kernels} kernels)` };
}

/** The golden preprocessing cases through the JS recipe, compared with Python's preprocess_rgba. */
async function preprocessSelfTest() {
  const cases = config.preprocess_golden;
  const index = (await (await fetchOk(cases.index)).text()).trim().split('\n').map((line) => line.split(' '));
  const rgba = new Uint8Array(await (await fetchOk(cases.rgba)).arrayBuffer());
  const frameSize = product(config.input.shape);
  const expected = await fetchFloats(cases.expected, index.length * frameSize);
  let offset = 0, worst = 0;
  for (const [i, [name, width, height]] of index.entries()) {
    const size = Number(width) * Number(height) * 4;
    const frame = recipe.toModelInput(rgba.subarray(offset, offset + size), Number(width), Number(height), name);
    offset += size;
    for (let k = 0; k < frame.length; k++) {
      const difference = Math.abs(frame[k] - expected[i * frameSize + k]);
      if (!(difference <= cases.tolerance)) {
        return { ok: false, reason: `preprocessing case ${name}, pixel ${k}: ${frame[k]} vs Python ${expected[i * frameSize + k]} `
          + `(|Δ| ${difference.toExponential(2)} > tolerance ${cases.tolerance})` };
      }
      worst = Math.max(worst, difference);
    }
  }
  return { ok: true, worst, text: `${index.length}/${index.length} preprocessing cases match Python (max |Δ| ${worst.toExponential(1)})` };
}

async function selfTest() {
  try {
    config = await (await fetchOk('model.json')).json();
    $('meta').textContent = `${config.model} · ${config.format} · ${config.runtime.title} ${config.runtime.version}`;
    recipe = await import(`./${config.preprocess.module}`);
    const started = performance.now();
    const { loadClassifier } = await import('./runtime.js');
    classifier = await loadClassifier(config);
    body.dataset.loadMs = (performance.now() - started).toFixed(1);
    $('runtime').textContent = `${classifier.description}; loaded in ${body.dataset.loadMs} ms`;
  } catch (err) {
    return { ok: false, reason: `model failed to load: ${err && err.message ? err.message : err}` };
  }
  const results = [await exclusive(goldenSelfTest)];
  body.dataset.selftestMaxAbs = String(results[0].worst ?? '');
  if (results[0].ok && config.preprocess_golden) results.push(await preprocessSelfTest());
  const failed = results.find((result) => !result.ok);
  return failed ?? { ok: true, text: results.map((result) => result.text).join('; ') };
}

/** Preprocess, run, show: the one path for drawings, uploads and ?image=. */
async function classify(pixels, name) {
  if (!classifier) throw new Error('the model is not loaded (see the self-test result)');
  const input = recipe.toModelInput(pixels.rgba, pixels.width, pixels.height, name);
  showSeen(input);
  const outputs = await exclusive(() => classifier.run(input));
  const probabilities = config.output_kind === 'logits' ? softmax(outputs) : outputs;
  const best = argmax(probabilities);
  body.dataset.prediction = config.labels[best];
  body.dataset.probabilities = JSON.stringify(Array.from(probabilities));
  delete body.dataset.error;
  $('message').textContent = '';
  $('digit').textContent = config.labels[best];
  showBars(probabilities);
}

async function classifySafely(getPixels, name) {
  try {
    await classify(await getPixels(), name);
  } catch (err) {
    showError(recipe && err instanceof recipe.PreprocessError ? err.message : `${name}: ${err && err.message ? err.message : err}`);
  }
}

/** Logits -> probabilities (max subtracted), for a model whose manifest says it outputs logits. */
function softmax(logits) {
  const top = Math.max(...logits);
  const e = Array.from(logits, (z) => Math.exp(z - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return Float32Array.from(e, (v) => v / sum);
}

/** The model's input mapped back to 8-bit pixels (the manifest's scale, offset and channel order). */
function showSeen(input) {
  const { scale, offset, channel_order: order } = config.preprocess;
  const [, height, width, channels] = config.input.shape;
  const context = $('seen').getContext('2d');
  const image = context.createImageData(width, height);
  const pixel = (v) => Math.min(255, Math.max(0, Math.round((v - offset) / scale)));
  for (let i = 0; i < width * height; i++) {
    const c = Array.from({ length: channels }, (_, k) => pixel(input[i * channels + k]));
    const rgb = channels === 1 ? [c[0], c[0], c[0]] : (order === 'bgr' ? [c[2], c[1], c[0]] : c);
    image.data.set([...rgb, 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
}

function showBars(probabilities) {
  const list = $('bars');
  list.replaceChildren(...Array.from(probabilities, (p, i) => {
    const item = document.createElement('li');
    item.innerHTML = '<span class="label"></span><span class="bar"><span></span></span><span class="value"></span>';
    item.querySelector('.label').textContent = config.labels[i];
    item.querySelector('.bar span').style.width = `${(100 * p).toFixed(1)}%`;
    item.querySelector('.value').textContent = `${(100 * p).toFixed(1)} %`;
    return item;
  }));
}

async function measureLatency() {
  const { warmup, runs_per_round: runs } = config.latency;
  const requested = Number.parseInt(params.get('rounds') ?? '', 10);
  const rounds = requested > 0 ? Math.min(requested, 100000) : config.latency.rounds;
  const size = product(config.input.shape);
  const pixels = (await fetchFloats(config.golden.inputs, config.golden.count * size)).slice(0, size);
  for (let i = 0; i < warmup; i++) await classifier.run(pixels);
  // Timed in rounds of back-to-back runs: without cross-origin isolation the browser coarsens
  // performance.now() to ~0.1 ms, longer than one inference.
  const perRun = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < runs; i++) await classifier.run(pixels);
    perRun.push((performance.now() - start) / runs);
  }
  const latency = median(perRun);
  body.dataset.latencyMs = latency.toFixed(4);
  $('latency').textContent = `Latency: ${latency.toFixed(3)} ms per inference (median of ${rounds} rounds × ${runs} runs, `
    + 'batch 1, after the self-test; preprocessing not included).';
}

// ---- drawing pad ----
function setUpPad() {
  const pad = $('pad');
  const context = pad.getContext('2d', { willReadFrequently: true });
  const clear = () => {
    context.fillStyle = '#000';
    context.fillRect(0, 0, pad.width, pad.height);
  };
  clear();
  let drawing = false, inked = false;
  const point = (event) => {
    const box = pad.getBoundingClientRect();
    return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
  };
  pad.addEventListener('pointerdown', (event) => {
    drawing = true;
    pad.setPointerCapture(event.pointerId);
    context.strokeStyle = '#fff';
    context.lineWidth = pad.width / 14;
    context.lineCap = context.lineJoin = 'round';
    context.beginPath();
    context.moveTo(...point(event));
  });
  pad.addEventListener('pointermove', (event) => {
    if (!drawing) return;
    context.lineTo(...point(event));
    context.stroke();
    inked = true;
  });
  const finish = () => {
    if (!drawing) return;
    drawing = false;
    if (inked) {
      classifySafely(async () => ({ rgba: context.getImageData(0, 0, pad.width, pad.height).data,
        width: pad.width, height: pad.height }), 'drawing');
    }
  };
  pad.addEventListener('pointerup', finish);
  pad.addEventListener('pointercancel', finish);
  $('clear').addEventListener('click', () => {
    clear();
    inked = false;
    $('digit').textContent = '–';
    $('bars').replaceChildren();
  });
  $('file').addEventListener('change', (event) => {
    const [file] = event.target.files;
    if (file) classifySafely(() => recipe.pixelsFromBlob(file, file.name), file.name);
  });
}

async function main() {
  setUpPad();
  const result = await selfTest();
  body.dataset.selftest = result.ok ? 'pass' : 'fail';
  if (!result.ok) body.dataset.selftestReason = result.reason;
  report('selftest', result.ok ? 'pass' : 'fail', result.ok ? `Self-test passed: ${result.text}.` : `Self-test FAILED: ${result.reason}`);
  if (!classifier) return;
  const image = params.get('image');
  if (image !== null) {
    const url = new URL(image, location.href);
    if (url.origin !== location.origin) {
      showError(`${image}: only images from this server can be classified (${location.origin})`);
    } else {
      await classifySafely(async () => recipe.pixelsFromBlob(await (await fetchOk(url)).blob(), image), image);
    }
  }
  await exclusive(measureLatency);
}

// Nothing may end uncaught: anything unexpected is shown on the page.
window.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  showError(`unexpected error: ${event.reason && event.reason.message ? event.reason.message : event.reason}`);
});
main().catch((err) => {
  if (!body.dataset.selftest) {
    body.dataset.selftest = 'fail';
    body.dataset.selftestReason = String(err && err.message ? err.message : err);
    report('selftest', 'fail', `Self-test FAILED: ${body.dataset.selftestReason}`);
  } else {
    showError(`unexpected error: ${err && err.message ? err.message : err}`);
  }
});
