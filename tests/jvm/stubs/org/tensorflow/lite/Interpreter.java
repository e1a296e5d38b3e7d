package org.tensorflow.lite;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Properties;

/**
 * Stub of LiteRT's org.tensorflow.lite.Interpreter (public final class) with the signatures the generated code
 * calls. It runs NO inference: it REPLAYS recorded outputs. The folder named by the system property
 * edgedigits.stub.replay holds stub.properties (the model's sha256 and its input/output tensor numbers, taken
 * from manifest.json) and replay_inputs.bin / replay_outputs.bin (recorded LiteRT inputs and outputs, fixed
 * sizes). run() looks its input bytes up among the recorded inputs and writes the recorded output; an input
 * that was not recorded, bit for bit, throws. So the app code around it (asset loading, quantize, buffer
 * layout, dequantize) is checked exactly, and the model itself is not run.
 */
public final class Interpreter implements InterpreterApi {
    /** Counters the JVM harness reads. */
    public static int created = 0;
    public static int closed = 0;
    public static Options lastOptions = null;

    private final Properties spec = new Properties();
    private final byte[] inputs;
    private final byte[] outputs;
    private boolean isClosed = false;

    public Interpreter(ByteBuffer byteBuffer) {
        this(byteBuffer, new Options());
    }

    public Interpreter(ByteBuffer byteBuffer, Options options) {
        Path folder = Path.of(System.getProperty("edgedigits.stub.replay", "replay"));
        try (InputStream in = new FileInputStream(folder.resolve("stub.properties").toFile())) {
            spec.load(in);
            inputs = Files.readAllBytes(folder.resolve("replay_inputs.bin"));
            outputs = Files.readAllBytes(folder.resolve("replay_outputs.bin"));
        } catch (IOException e) {
            throw new IllegalStateException("replay stub: cannot read " + folder + ": " + e);
        }
        byte[] model = new byte[byteBuffer.remaining()];
        byteBuffer.duplicate().get(model);
        if (!sha256(model).equals(spec.getProperty("model_sha256"))) {
            throw new IllegalArgumentException("The model is not a valid Flatbuffer buffer (stub: sha256 differs from the manifest's)");
        }
        lastOptions = options;
        created++;
    }

    @Override
    public void run(Object input, Object output) {
        if (isClosed) {
            throw new IllegalStateException("Internal error: The Interpreter has already been closed.");
        }
        ByteBuffer in = ((ByteBuffer) input).duplicate();
        int inputBytes = Integer.parseInt(spec.getProperty("input_bytes"));
        int outputBytes = Integer.parseInt(spec.getProperty("output_bytes"));
        if (in.remaining() != inputBytes) {
            throw new IllegalArgumentException("Cannot copy to a TensorFlowLite tensor (input) with " + inputBytes
                + " bytes from a Java Buffer with " + in.remaining() + " bytes.");
        }
        byte[] fed = new byte[inputBytes];
        in.get(fed);
        ByteBuffer out = (ByteBuffer) output;
        if (out.remaining() < outputBytes) {
            throw new IllegalArgumentException("Cannot copy from a TensorFlowLite tensor (output) with " + outputBytes
                + " bytes to a Java Buffer with " + out.remaining() + " bytes.");
        }
        for (int i = 0; i * inputBytes < inputs.length; i++) {
            if (Arrays.equals(inputs, i * inputBytes, (i + 1) * inputBytes, fed, 0, inputBytes)) {
                out.put(outputs, i * outputBytes, outputBytes);
                return;
            }
        }
        throw new IllegalStateException("replay stub: this input is not among the " + inputs.length / inputBytes
            + " recorded inputs (the app fed different bytes than Python)");
    }

    @Override
    public Tensor getInputTensor(int inputIndex) {
        if (inputIndex != 0) throw new IllegalArgumentException("Invalid input Tensor index: " + inputIndex);
        return tensor("input");
    }

    @Override
    public Tensor getOutputTensor(int outputIndex) {
        if (outputIndex != 0) throw new IllegalArgumentException("Invalid output Tensor index: " + outputIndex);
        return tensor("output");
    }

    @Override
    public void close() {
        if (!isClosed) closed++;
        isClosed = true;
    }

    private Tensor tensor(String role) {
        DataType type = DataType.valueOf(spec.getProperty(role + "_dtype"));
        int[] shape = Arrays.stream(spec.getProperty(role + "_shape").split(",")).mapToInt(Integer::parseInt).toArray();
        float scale = Float.parseFloat(System.getProperty("edgedigits.stub." + role + "_scale", spec.getProperty(role + "_scale", "0")));
        int zeroPoint = Integer.parseInt(spec.getProperty(role + "_zero_point", "0"));
        int bytes = Integer.parseInt(spec.getProperty(role + "_bytes"));
        String name = spec.getProperty(role + "_name");
        return new Tensor() {
            public DataType dataType() { return type; }
            public int[] shape() { return shape.clone(); }
            public int numBytes() { return bytes; }
            public String name() { return name; }
            public QuantizationParams quantizationParams() { return new QuantizationParams(scale, zeroPoint); }
        };
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stub of Interpreter.Options: the setters return Interpreter.Options, as in LiteRT. */
    public static class Options extends InterpreterApi.Options {
        public Options() {
        }

        @Override
        public Options setNumThreads(int numThreads) {
            super.setNumThreads(numThreads);
            return this;
        }

        @Override
        public Options setUseXNNPACK(boolean useXNNPACK) {
            super.setUseXNNPACK(useXNNPACK);
            return this;
        }
    }
}
