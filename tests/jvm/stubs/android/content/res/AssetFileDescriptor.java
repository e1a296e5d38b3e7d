package android.content.res;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;

/** Stub of android.content.res.AssetFileDescriptor: the file descriptor, start offset and declared length. */
public class AssetFileDescriptor implements Closeable {
    private final FileInputStream stream;
    private final long startOffset;
    private final long length;

    AssetFileDescriptor(FileInputStream stream, long startOffset, long length) {
        this.stream = stream;
        this.startOffset = startOffset;
        this.length = length;
    }

    public FileDescriptor getFileDescriptor() {
        try {
            return stream.getFD();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public long getStartOffset() {
        return startOffset;
    }

    public long getDeclaredLength() {
        return length;
    }

    @Override
    public void close() throws IOException {
        stream.close();
    }
}
