package org.tensorflow.lite;

/** Stub of LiteRT's org.tensorflow.lite.DataType (public enum; constants and byteSize() as documented). */
public enum DataType {
    FLOAT32(4), INT32(4), UINT8(1), INT64(8), STRING(-1), BOOL(-1), INT16(2), INT8(1);

    private final int byteSize;

    DataType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Size of one element in bytes, -1 for variable-size types. */
    public int byteSize() {
        return byteSize;
    }
}
