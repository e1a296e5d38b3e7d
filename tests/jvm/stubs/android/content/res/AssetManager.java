package android.content.res;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;

/** Stub of android.content.res.AssetManager (public final class) reading a folder: open() and openFd(). */
public final class AssetManager implements AutoCloseable {
    private final File folder;

    /** Stub only (the real one has no public constructor): the folder playing the APK's assets/. */
    public AssetManager(File folder) {
        this.folder = folder;
    }

    public InputStream open(String fileName) throws IOException {
        return new FileInputStream(file(fileName));
    }

    public AssetFileDescriptor openFd(String fileName) throws IOException {
        File file = file(fileName);
        return new AssetFileDescriptor(new FileInputStream(file), 0, file.length());
    }

    @Override
    public void close() {
    }

    private File file(String fileName) throws FileNotFoundException {
        File file = new File(folder, fileName);
        if (!file.isFile()) throw new FileNotFoundException(fileName);
        return file;
    }
}
