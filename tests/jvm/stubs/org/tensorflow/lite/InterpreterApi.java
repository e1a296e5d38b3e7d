package org.tensorflow.lite;

/** Stub of LiteRT's org.tensorflow.lite.InterpreterApi: the methods the generated code calls. */
public interface InterpreterApi extends AutoCloseable {
    void run(Object input, Object output);

    Tensor getInputTensor(int inputIndex);

    Tensor getOutputTensor(int outputIndex);

    @Override
    void close();

    /** Stub of InterpreterApi.Options. */
    class Options {
        int numThreads = -1;
        boolean useXNNPACK = true;

        public Options() {
        }

        public Options setNumThreads(int numThreads) {
            this.numThreads = numThreads;
            return this;
        }

        public int getNumThreads() {
            return numThreads;
        }

        public Options setUseXNNPACK(boolean useXNNPACK) {
            this.useXNNPACK = useXNNPACK;
            return this;
        }

        public boolean getUseXNNPACK() {
            return useXNNPACK;
        }
    }
}
