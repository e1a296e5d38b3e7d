package org.tensorflow.lite;

/** Stub of LiteRT's org.tensorflow.lite.Tensor interface: the methods the generated code calls. */
public interface Tensor {
    DataType dataType();

    int[] shape();

    int numBytes();

    String name();

    QuantizationParams quantizationParams();

    /** f = scale * (q - zero_point); both 0 for a tensor that is not quantized. */
    class QuantizationParams {
        private final float scale;
        private final int zeroPoint;

        public QuantizationParams(float scale, int zeroPoint) {
            this.scale = scale;
            this.zeroPoint = zeroPoint;
        }

        public float getScale() {
            return scale;
        }

        public int getZeroPoint() {
            return zeroPoint;
        }
    }
}
