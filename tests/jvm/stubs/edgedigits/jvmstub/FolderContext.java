package edgedigits.jvmstub;

import android.content.Context;
import android.content.res.AssetManager;
import java.io.File;

/** A Context whose assets are one folder (not an Android class: the stubs' own helper). */
public final class FolderContext extends Context {
    private final AssetManager assets;

    public FolderContext(String folder) {
        if (folder == null) throw new IllegalStateException("stub Context: no assets folder set");
        assets = new AssetManager(new File(folder));
    }

    @Override
    public AssetManager getAssets() {
        return assets;
    }
}
