package android.app;

import android.content.Context;
import edgedigits.jvmstub.FolderContext;

/**
 * Stub of android.app.Instrumentation: getContext() is the test APK's context (androidTest assets, from the
 * system property edgedigits.assets.test), getTargetContext() the app's (main assets, edgedigits.assets.target).
 */
public class Instrumentation {
    public Context getContext() {
        return new FolderContext(System.getProperty("edgedigits.assets.test"));
    }

    public Context getTargetContext() {
        return new FolderContext(System.getProperty("edgedigits.assets.target"));
    }
}
