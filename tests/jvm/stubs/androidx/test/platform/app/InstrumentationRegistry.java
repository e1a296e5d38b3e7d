package androidx.test.platform.app;

import android.app.Instrumentation;

/** Stub of androidx.test.platform.app.InstrumentationRegistry. */
public final class InstrumentationRegistry {
    private static final Instrumentation INSTRUMENTATION = new Instrumentation();

    private InstrumentationRegistry() {
    }

    public static Instrumentation getInstrumentation() {
        return INSTRUMENTATION;
    }
}
