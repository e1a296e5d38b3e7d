package android.content;

import android.content.res.AssetManager;

/** Stub of android.content.Context: only getAssets(), the one method the generated code calls. */
public abstract class Context {
    public abstract AssetManager getAssets();
}
